import type { Provider } from '../core/provider.js';
import { formatObjectLocation, parseObjectLocation } from '../object-store/location.js';
import { type AzureCredentials, parseAzureCredentials } from './credentials.js';
import type { AzureDriverOptions } from './driver.js';

const CONTAINER_NAMING = {
  noun: 'container',
  pattern: /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/,
  rules: '3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit',
} as const;

/** The `azure-blob` provider: Azure Blob Storage (or Azurite). Location: `container` or `container/prefix`. */
export function createAzureBlobProvider(options: AzureDriverOptions = {}): Provider<AzureCredentials> {
  return {
    kind: 'azure-blob',
    parseLocation: (location) => formatObjectLocation(parseObjectLocation(location, CONTAINER_NAMING)),
    parseCredentials: parseAzureCredentials,
    async createDriver({ location, credentials }) {
      const { AzureBlobDriver } = await import('./driver.js');
      return new AzureBlobDriver(parseObjectLocation(location, CONTAINER_NAMING), credentials, options);
    },
  };
}

export const azureBlobProvider: Provider<AzureCredentials> = createAzureBlobProvider();
