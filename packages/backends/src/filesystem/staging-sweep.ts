import { lstat, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '@cairn/errors';
import { tryLock } from 'fs-native-extensions';
import { OPERATION_ABORT_WORDING } from '../core/cancellation.js';
import { SWEEP_LIMIT } from '../core/provider.js';
import { type Layout, PARTIAL_SUFFIX, PROBE_PREFIX } from './client.js';
import { errnoOf, fromFilesystemError } from './errors.js';

/**
 * Removes staging files and write probes last modified more than `olderThanMs` ago. Every write touches
 * a staging file's mtime, so the age is how long an upload has been idle, not how long it has run.
 * Only names this backend creates are considered, `live` paths are skipped, and at most `SWEEP_LIMIT`
 * files go per call. A staging file another process holds open (a replica resuming a long-paused upload)
 * is locked, and left alone.
 */
export async function sweepStaging(
  layout: Layout,
  olderThanMs: number,
  live: ReadonlySet<string>,
  signal: AbortSignal,
): Promise<number> {
  const cutoff = Date.now() - Math.max(0, olderThanMs);
  const candidates = [
    ...(await namesIn(layout.stagingDir, layout))
      .filter((name) => name.endsWith(PARTIAL_SUFFIX))
      .map((name) => join(layout.stagingDir, name)),
    ...(await namesIn(layout.root, layout))
      .filter((name) => name.startsWith(PROBE_PREFIX))
      .map((name) => join(layout.root, name)),
  ];
  let removed = 0;
  for (const path of candidates) {
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    if (removed >= SWEEP_LIMIT) break;
    if (live.has(path)) continue;
    try {
      const info = await lstat(path);
      if (!info.isFile() || info.mtimeMs > cutoff) continue;
      if (await removeUnlessLocked(path)) removed += 1;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') continue;
      throw fromFilesystemError(error, layout.root, 'clean the staging directory');
    }
  }
  return removed;
}

async function namesIn(directory: string, layout: Layout): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw fromFilesystemError(error, layout.root, 'list the staging directory');
  }
}

/** Unlinks `path` while holding its lock, so no process picks it up as it goes; false if one holds it. */
async function removeUnlessLocked(path: string): Promise<boolean> {
  const handle = await open(path, 'r+');
  try {
    if (!tryLock(handle.fd)) return false;
    await rm(path, { force: true });
    return true;
  } finally {
    await handle.close();
  }
}
