import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProviderConformance } from '../testing/conformance/index.js';
import { flipStoredByte, listLeftovers, listStoredBlobs } from '../testing/inspect/filesystem.js';
import { filesystemProvider } from './provider.js';

describeProviderConformance('filesystem', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'cairn-fs-conformance-'));
  // An empty directory: the driver must create its own subfolders.
  const location = join(parent, 'backend');
  await mkdir(location);
  const driver = await filesystemProvider.createDriver({
    location: filesystemProvider.parseLocation(location),
    credentials: filesystemProvider.parseCredentials({}),
  });
  return {
    driver,
    listVisible: (signal) => listStoredBlobs(driver.layout, signal),
    leftovers: (signal) => listLeftovers(driver.layout, signal),
    corrupt: (hex, signal) => flipStoredByte(driver.layout, hex, signal),
    teardown: () => rm(parent, { recursive: true, force: true }),
  };
});
