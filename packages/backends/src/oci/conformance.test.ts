import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { describeProviderConformance, MiB } from '../testing/conformance/index.js';
import { freshRepository } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { ociProvider } from './provider.js';

describeProviderConformance(
  'oci (distribution 2.8)',
  async () => {
    const { host, storageDir } = inject('testServers').oci.open;
    const repository = freshRepository('conformance');
    const storage = new RegistryStorage(storageDir, repository);
    // Both drivers play CAS processes on one host: the sweep of either finds the sessions both noted.
    const journalDir = await mkdtemp(join(tmpdir(), 'cairn-oci-journal-'));
    const createDriver = () =>
      ociProvider.createDriver({
        location: ociProvider.parseLocation(`${host}/${repository}`),
        credentials: ociProvider.parseCredentials({}),
        journalDir,
      });
    return {
      driver: await createDriver(),
      anotherProcess: createDriver,
      listVisible: () => storage.visibleBlobs(),
      leftovers: () => storage.leftovers(),
      corrupt: (hex) => storage.corrupt(hex),
      // The registry is shared by the run and stopped by the global setup; the repository is this suite's own.
      teardown: () => rm(journalDir, { recursive: true, force: true }),
    };
  },
  { checkpointEvery: 8 * MiB },
);
