import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted } from '../core/abort.js';
import { errnoOf, fsError } from './fs-errors.js';
import { type Layout, PARTIAL_SUFFIX, PROBE_PREFIX } from './layout.js';

/** A staged upload idle this long is taken for abandoned when no other age is given. */
export const DEFAULT_STAGING_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Removes staging files and write probes last modified more than `olderThanMs` ago. Every write touches
 * a staging file's mtime, so the age is how long an upload has been idle, not how long it has run.
 * Only names this backend creates are considered, and `live` paths are skipped.
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
    throwIfAborted(signal);
    if (live.has(path)) continue;
    try {
      const info = await lstat(path);
      if (!info.isFile() || info.mtimeMs > cutoff) continue;
      await rm(path, { force: true });
      removed += 1;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') continue;
      throw fsError(error, layout.root, 'clean the staging directory');
    }
  }
  return removed;
}

async function namesIn(directory: string, layout: Layout): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw fsError(error, layout.root, 'list the staging directory');
  }
}
