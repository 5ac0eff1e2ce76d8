import { CairnError, Code } from '@cairn/errors';

/** Where a provider keeps blobs: a bucket or container and a key prefix ('' or ending in '/'). */
export interface ObjectLocation {
  readonly container: string;
  readonly prefix: string;
}

export interface ContainerNaming {
  /** What the container is called for this provider, e.g. 'bucket' or 'container'. */
  readonly noun: string;
  readonly pattern: RegExp;
  /** The naming rules in words, for the error message. */
  readonly rules: string;
}

const MAX_PREFIX_LENGTH = 512;

/**
 * Parses `container` or `container/some/prefix`. The prefix is split on '/', must have no empty, '.' or
 * '..' segment and no control character; it is returned with a trailing '/'.
 */
export function parseObjectLocation(location: string, naming: ContainerNaming): ObjectLocation {
  const slash = location.indexOf('/');
  const container = slash === -1 ? location : location.slice(0, slash);
  const rawPrefix = slash === -1 ? '' : location.slice(slash + 1).replace(/\/$/, '');
  if (!naming.pattern.test(container)) {
    throw new CairnError(
      Code.InvalidArgument,
      `the location must start with a ${naming.noun} name (${naming.rules}), optionally followed by /prefix`,
    );
  }
  if (rawPrefix === '') return { container, prefix: '' };
  const segments = rawPrefix.split('/');
  const badSegment = segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (badSegment || /[\u0000-\u001f\u007f\\]/.test(rawPrefix) || rawPrefix.length > MAX_PREFIX_LENGTH) {
    throw new CairnError(
      Code.InvalidArgument,
      `the prefix after the ${naming.noun} name must be up to ${MAX_PREFIX_LENGTH} characters of '/'-separated names, none empty, '.' or '..', without control characters or '\\'`,
    );
  }
  return { container, prefix: `${rawPrefix}/` };
}

/** The canonical form of a location: `container` or `container/prefix` (no trailing '/'). */
export function formatObjectLocation({ container, prefix }: ObjectLocation): string {
  return prefix === '' ? container : `${container}/${prefix.slice(0, -1)}`;
}

/** Where blobs are stored: every blob key starts so. */
export function blobsPrefix(location: ObjectLocation): string {
  return `${location.prefix}sha256/`;
}

/** The key a blob is stored under. */
export function blobKey(location: ObjectLocation, hex: string): string {
  return `${blobsPrefix(location)}${hex}`;
}

/** Where write checks put their probe objects: every probe key starts so. */
export function probesPrefix(location: ObjectLocation): string {
  return `${location.prefix}.cairn-probe/`;
}

/** Where uploads other processes may continue keep their checkpoints: every checkpoint key starts so. */
export function checkpointsPrefix(location: ObjectLocation): string {
  return `${location.prefix}.cairn-uploads/`;
}
