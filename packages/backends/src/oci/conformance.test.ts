import { inject } from 'vitest';
import { describeProviderConformance } from '../testing/conformance/index.js';
import { freshRepository } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { ociProvider } from './provider.js';

describeProviderConformance('oci (distribution 2.8)', async () => {
  const { host, storageDir } = inject('testServers').oci.open;
  const repository = freshRepository('conformance');
  const storage = new RegistryStorage(storageDir, repository);
  const driver = await ociProvider.createDriver({
    location: ociProvider.parseLocation(`${host}/${repository}`),
    credentials: ociProvider.parseCredentials({}),
  });
  return {
    driver,
    listVisible: () => storage.visibleBlobs(),
    leftovers: () => storage.leftovers(),
    corrupt: (hex) => storage.corrupt(hex),
    // The registry is shared by the run and stopped by the global setup; the repository is this suite's own.
    teardown: async () => {},
  };
});
