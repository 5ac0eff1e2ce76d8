import type { DriverConfig, Provider } from '../core/provider.js';
import { type FilesystemCredentials, parseFilesystemCredentials } from './credentials.js';
import type { FilesystemDriver } from './driver.js';
import { parseFilesystemLocation } from './location.js';

export interface FilesystemProvider extends Provider<FilesystemCredentials> {
  createDriver(config: DriverConfig<FilesystemCredentials>): Promise<FilesystemDriver>;
}

/** The `filesystem` provider: a directory on the CAS's host. Location: an absolute path. */
export const filesystemProvider: FilesystemProvider = {
  kind: 'filesystem',
  parseLocation: parseFilesystemLocation,
  parseCredentials: parseFilesystemCredentials,
  async createDriver(config) {
    const { FilesystemDriver } = await import('./driver.js');
    return new FilesystemDriver(parseFilesystemLocation(config.location));
  },
};
