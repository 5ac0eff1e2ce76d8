import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { errnoOf, fromFilesystemError } from './errors.js';

// The filesystem provider's side of its "server": the backend's directory. Where things live in it
// (Layout), that it exists (requireRoot), and how a new entry in it survives a crash (syncDirectory).

/**
 * Where a filesystem backend keeps things under its root:
 *
 *   <root>/sha256/<first 2 hex>/<hex>        a committed blob (only ever appears whole, by rename)
 *   <root>/sha256/<first 2 hex>/<hex>.meta   its file name and media type (JSON), renamed in before the blob
 *   <root>/.staging/<hex prefix>-<random>.partial   uploads in progress, on the same filesystem so the
 *                                                   rename that publishes a blob is atomic
 *
 * Two hex characters give 256 shard directories, which keeps directories small for millions of blobs.
 *
 * Modes: files 0600 and directories 0700. Evidence can hold logs and reports an organisation does not
 * want every local account to read, and only the CAS's own user needs access (replicas sharing a
 * directory must run as the same user; backups run as that user or root).
 */
export const FILE_MODE = 0o600;
export const DIRECTORY_MODE = 0o700;

export const PARTIAL_SUFFIX = '.partial';
export const META_SUFFIX = '.meta';
export const PROBE_PREFIX = '.probe-';

export class Layout {
  readonly blobsDir: string;
  readonly stagingDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'sha256');
    this.stagingDir = join(root, '.staging');
  }

  shardDir(hex: string): string {
    return join(this.blobsDir, hex.slice(0, 2));
  }

  blobPath(hex: string): string {
    return join(this.shardDir(hex), hex);
  }

  metaPath(hex: string): string {
    return join(this.shardDir(hex), `${hex}${META_SUFFIX}`);
  }

  stagingPath(name: string): string {
    return join(this.stagingDir, name);
  }
}

/**
 * A backend's directory must exist: the provider makes its own subfolders inside it but never the
 * directory itself (nor its parents), so a mistyped location is refused rather than created somewhere.
 */
export async function requireRoot(root: string): Promise<void> {
  let found: Awaited<ReturnType<typeof stat>>;
  try {
    found = await stat(root);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') {
      throw new CairnError(
        Code.FailedPrecondition,
        `directory ${root} does not exist on the CAS's host; create it and try again`,
        { cause: error, details: { reason: 'directory_missing' } },
      );
    }
    throw fromFilesystemError(error, root, 'open the directory');
  }
  if (!found.isDirectory()) {
    throw new CairnError(
      Code.FailedPrecondition,
      `${root} on the CAS's host is not a directory; give the path of a directory`,
      { details: { reason: 'not_a_directory' } },
    );
  }
}

/** Flushes a directory's entries to disk, so a rename or a new file in it survives a crash. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
