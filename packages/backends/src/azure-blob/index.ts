export type {
  AzureCredentials,
  AzureServicePrincipalCredentials,
  AzureSharedKeyCredentials,
} from './credentials.js';
export type { AzureDriverOptions } from './driver.js';
export { azureBlobProvider, createAzureBlobProvider } from './provider.js';
