import { isAbsolute, normalize } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { shorten } from '../core/shorten.js';

const MAX_PATH = 4096;

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
      `"${shorten(location)}" is relative; give an absolute directory path such as /var/lib/cairn/blobs`,
    );
  }
  if (location.split('/').includes('..')) {
    throw invalid(`"${shorten(location)}" contains ".."; give the directory's path without it`);
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
