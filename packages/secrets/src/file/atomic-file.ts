import { randomUUID } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { throwIfAborted } from '@cairn/errors';
import { SECRET_STORE_ABORT_WORDING } from '../secret-store.js';

/** Suffix of in-flight temp files; never the suffix of a committed file. */
export const TEMP_SUFFIX = '.partial';

/**
 * Writes `bytes` to `path` only if nothing is there: the bytes go to a 0600 temp file beside it (fsynced),
 * which is then hard-linked into place, so the file appears complete or not at all and two writers can
 * never both win. Returns false when `path` already existed.
 */
export async function createFileExclusively(
  path: string,
  bytes: Uint8Array,
  signal: AbortSignal,
): Promise<boolean> {
  const tempPath = await writeTempFile(path, bytes, signal);
  try {
    throwIfAborted(signal, SECRET_STORE_ABORT_WORDING);
    await link(tempPath, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tempPath).catch(() => undefined);
  }
  await syncDirectory(dirname(path));
  return true;
}

/**
 * Replaces `path` with `bytes` atomically (temp file, fsync, rename, fsync of the directory): readers see
 * the old or the new content, never a mix, and of concurrent writers the last rename wins.
 */
export async function replaceFile(path: string, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  const tempPath = await writeTempFile(path, bytes, signal);
  try {
    throwIfAborted(signal, SECRET_STORE_ABORT_WORDING);
    await rename(tempPath, path);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** Makes a rename, link or unlink in `directory` durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms and file systems cannot fsync a directory; the data itself was already synced.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle.close();
  }
}

async function writeTempFile(path: string, bytes: Uint8Array, signal: AbortSignal): Promise<string> {
  throwIfAborted(signal, SECRET_STORE_ABORT_WORDING);
  const tempPath = join(dirname(path), `.${randomUUID()}${TEMP_SUFFIX}`);
  const handle = await open(tempPath, 'wx', 0o600);
  try {
    await handle.writeFile(bytes, { signal });
    await handle.sync();
    await handle.close();
    return tempPath;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}
