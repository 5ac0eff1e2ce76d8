import { isAbsolute, normalize } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import type { DriverConfig, Provider } from '../core/provider.js';
import { FilesystemDriver } from './driver.js';

/** A filesystem backend needs no credentials: access is the CAS process's own. */
export type FilesystemCredentials = Record<string, never>;

export interface FilesystemProvider extends Provider<FilesystemCredentials> {
  createDriver(config: DriverConfig<FilesystemCredentials>): Promise<FilesystemDriver>;
}

const MAX_PATH = 4096;

export const filesystemProvider: FilesystemProvider = {
  kind: 'filesystem',

  parseLocation(location) {
    return parseFilesystemLocation(location);
  },

  parseCredentials(raw) {
    if (raw === undefined) return {};
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new CairnError(Code.InvalidArgument, 'filesystem credentials must be an empty object');
    }
    const [unknown] = Object.keys(raw);
    if (unknown !== undefined) {
      throw new CairnError(
        Code.InvalidArgument,
        `filesystem credentials take no fields, but "${truncate(unknown)}" was given; remove it`,
      );
    }
    return {};
  },

  async createDriver(config) {
    return new FilesystemDriver(parseFilesystemLocation(config.location));
  },
};

/**
 * A location is an absolute directory path. It is normalised (duplicate and trailing slashes, `.`
 * segments), but `..` is refused rather than resolved: a location that climbs out of where it seems to
 * point is more likely a mistake or an attack than an intent.
 */
export function parseFilesystemLocation(location: string): string {
  if (typeof location !== 'string' || location.length === 0) {
    throw invalid('a filesystem location must be an absolute directory path such as /var/lib/cairn/blobs');
  }
  if (location.length > MAX_PATH || location.includes('\0')) {
    throw invalid(`a filesystem location must be a path of at most ${MAX_PATH} characters without NUL bytes`);
  }
  if (!isAbsolute(location)) {
    throw invalid(
      `"${truncate(location)}" is relative; give an absolute directory path such as /var/lib/cairn/blobs`,
    );
  }
  if (location.split('/').includes('..')) {
    throw invalid(`"${truncate(location)}" contains ".."; give the directory's path without it`);
  }
  const normal = normalize(location).replace(/\/+$/, '');
  if (normal === '') {
    throw invalid(
      'the filesystem root "/" cannot hold blobs; give a dedicated directory such as /var/lib/cairn/blobs',
    );
  }
  return normal;
}

function invalid(message: string): CairnError {
  return new CairnError(Code.InvalidArgument, message);
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
