import type { Provider } from '../core/provider.js';
import { openResumableSha256 } from '../core/resumable-sha256.js';
import { type AzureCredentials, parseAzureCredentials } from './credentials.js';
import type { AzureDriverOptions } from './driver.js';
import { canonicalAzureLocation, parseAzureLocation } from './location.js';

/** The `azure-blob` provider: Azure Blob Storage (or Azurite). Location: `container` or `container/prefix`. */
export function createAzureBlobProvider(options: AzureDriverOptions = {}): Provider<AzureCredentials> {
  return {
    kind: 'azure-blob',
    parseLocation: canonicalAzureLocation,
    parseCredentials: parseAzureCredentials,
    async createDriver({ location, credentials }) {
      const { AzureBlobDriver } = await import('./driver.js');
      const sha = await openResumableSha256();
      return new AzureBlobDriver(parseAzureLocation(location), credentials, {
        ...('unavailable' in sha ? {} : { resumableSha256: sha }),
        ...options,
      });
    },
  };
}

export const azureBlobProvider: Provider<AzureCredentials> = createAzureBlobProvider();
