import { inject } from 'vitest';
import { describeProviderConformance, MiB } from '../testing/conformance/index.js';
import { AzuriteInspection } from '../testing/inspect/azurite.js';
import { azureBlobProvider } from './provider.js';

describeProviderConformance(
  'azure-blob (Azurite)',
  async (signal) => {
    const info = inject('testServers').azure;
    const inspection = AzuriteInspection.withNewName(info, 'evidence/');
    const createDriver = () =>
      azureBlobProvider.createDriver({
        location: azureBlobProvider.parseLocation(`${inspection.containerName}/evidence`),
        credentials: azureBlobProvider.parseCredentials({ ...info }),
      });
    const driver = await createDriver();
    // As on validation of a new backend: the check creates the missing container.
    await driver.checkWriteAccess(signal);
    return {
      driver,
      anotherProcess: createDriver,
      listVisible: () => inspection.visibleDigests(),
      leftovers: () => inspection.leftovers(),
      corrupt: (hex) => inspection.corrupt(`evidence/sha256/${hex}`),
      teardown: () => inspection.deleteContainer(),
    };
  },
  { checkpointEvery: 8 * MiB },
);
