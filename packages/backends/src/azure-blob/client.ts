import { ClientSecretCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzureCredentials } from './credentials.js';

/** A client for one container. Few, short retries: a caller waiting on an unreachable account hears soon. */
export function createContainerClient(credentials: AzureCredentials, container: string): ContainerClient {
  const credential =
    credentials.kind === 'shared-key'
      ? new StorageSharedKeyCredential(credentials.accountName, credentials.accountKey)
      : new ClientSecretCredential(credentials.tenantId, credentials.clientId, credentials.clientSecret, {
          ...(credentials.authorityHost === undefined ? {} : { authorityHost: credentials.authorityHost }),
        });
  const service = new BlobServiceClient(blobServiceUrl(credentials), credential, {
    retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
  });
  return service.getContainerClient(container);
}

/** The blob service URL of the account: where requests go, and what messages name (never a credential). */
export function blobServiceUrl(credentials: AzureCredentials): string {
  return credentials.endpoint ?? `https://${credentials.accountName}.blob.core.windows.net`;
}
