import type { Provider } from '../core/provider.js';
import { openResumableSha256 } from '../core/resumable-sha256.js';
import { type OciCredentials, parseOciCredentials } from './credentials.js';
import { parseOciLocation } from './location.js';

/** Evidence in a repository of an OCI registry (distribution API, OCI 1.1 artifacts). */
export const ociProvider: Provider<OciCredentials> = {
  kind: 'oci',
  parseLocation: (location) => parseOciLocation(location).canonical,
  parseCredentials: parseOciCredentials,
  async createDriver(config) {
    const { createOciDriver } = await import('./driver.js');
    const sha = await openResumableSha256();
    return createOciDriver(config, 'unavailable' in sha ? {} : { resumableSha256: sha });
  },
};
