import { CairnError, Code } from '@cairn/errors';
import { asRecord, optionalEndpoint, requiredString } from '../object-store/credential-fields.js';

/** A storage account's shared key, as Azurite and `az storage account keys list` give it. */
export interface AzureSharedKeyCredentials {
  readonly kind: 'shared-key';
  readonly accountName: string;
  readonly accountKey: string;
  /** The blob service URL; default `https://<accountName>.blob.core.windows.net`. */
  readonly endpoint?: string;
}

/** A Microsoft Entra service principal with a client secret, granted a data role on the account. */
export interface AzureServicePrincipalCredentials {
  readonly kind: 'service-principal';
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accountName: string;
  readonly endpoint?: string;
  /** The Entra authority for national clouds, e.g. `https://login.chinacloudapi.cn`. */
  readonly authorityHost?: string;
}

export type AzureCredentials = AzureSharedKeyCredentials | AzureServicePrincipalCredentials;

const WHAT = 'azure-blob credentials';

export function parseAzureCredentials(raw: unknown): AzureCredentials {
  const record = asRecord(raw, WHAT);
  const accountName = requiredString(record, 'accountName', WHAT);
  if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
    throw new CairnError(
      Code.InvalidArgument,
      `${WHAT}: "accountName" must be 3-24 lower-case letters and digits`,
    );
  }
  const endpoint = optionalEndpoint(record, 'endpoint', WHAT);
  const withEndpoint = endpoint === undefined ? {} : { endpoint };
  if (record.accountKey !== undefined) {
    if (record.clientSecret !== undefined) {
      throw new CairnError(
        Code.InvalidArgument,
        `${WHAT} must hold either "accountKey" or a service principal ("tenantId", "clientId", "clientSecret"), not both`,
      );
    }
    const accountKey = requiredString(record, 'accountKey', WHAT);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) {
      throw new CairnError(
        Code.InvalidArgument,
        `${WHAT}: "accountKey" must be the base64 key of the account`,
      );
    }
    return { kind: 'shared-key', accountName, accountKey, ...withEndpoint };
  }
  if (record.tenantId === undefined && record.clientId === undefined && record.clientSecret === undefined) {
    throw new CairnError(
      Code.InvalidArgument,
      `${WHAT} need "accountKey", or "tenantId", "clientId" and "clientSecret" of a service principal`,
    );
  }
  const authorityHost = optionalEndpoint(record, 'authorityHost', WHAT);
  const tenantId = requiredString(record, 'tenantId', WHAT);
  return {
    kind: 'service-principal',
    tenantId,
    clientId: requiredString(record, 'clientId', WHAT),
    clientSecret: requiredString(record, 'clientSecret', WHAT),
    accountName,
    ...withEndpoint,
    ...(authorityHost === undefined ? {} : { authorityHost }),
  };
}

/** The blob service URL of the account. */
export function blobServiceUrl(credentials: AzureCredentials): string {
  return credentials.endpoint ?? `https://${credentials.accountName}.blob.core.windows.net`;
}
