import type { Provider } from '../core/provider.js';
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
      return new AzureBlobDriver(parseAzureLocation(location), credentials, options);
    },
  };
}

export const azureBlobProvider: Provider<AzureCredentials> = createAzureBlobProvider();
