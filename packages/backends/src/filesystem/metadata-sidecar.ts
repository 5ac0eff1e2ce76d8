import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { CairnError, Code } from '@cairn/errors';
import type { BlobMeta } from '../core/provider.js';
import { FILE_MODE, type Layout, PARTIAL_SUFFIX } from './client.js';
import { errnoOf } from './errors.js';

const MAX_SIDECAR_BYTES = 64 * 1024;

/**
 * Publishes a blob's metadata next to where the blob will appear. It is written whole (temp file, fsync,
 * rename) before the blob's own rename, so a visible blob always finds its metadata complete. A blob
 * without metadata removes any sidecar a crashed commit left, so stale metadata is never attached.
 */
export async function publishSidecar(
  layout: Layout,
  hex: string,
  content: string | undefined,
  renameInto: (from: string, to: string) => Promise<void> = rename,
): Promise<void> {
  const target = layout.metaPath(hex);
  if (content === undefined) {
    // unlink rather than rm({ force }): rm stats the path twice before it unlinks (its option check and
    // its own lookup), and on nearly every commit there is nothing to remove.
    await unlink(target).catch((error: unknown) => {
      const errno = errnoOf(error);
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw error;
    });
    return;
  }
  const temp = layout.stagingPath(
    `${hex.slice(0, 12)}-${randomBytes(8).toString('hex')}.meta${PARTIAL_SUFFIX}`,
  );
  const handle = await open(temp, 'wx', FILE_MODE);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await renameInto(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The metadata stored for a blob; empty when it has none or the sidecar cannot be understood. */
export async function readSidecar(layout: Layout, hex: string, signal: AbortSignal): Promise<BlobMeta> {
  let text: string;
  try {
    text = await readFile(layout.metaPath(hex), { encoding: 'utf8', signal });
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return {};
    throw error;
  }
  return parseSidecar(text);
}

/** The sidecar's text for `meta`, or undefined when there is nothing to keep. Checked before any byte is staged. */
export function encodeSidecar(meta: BlobMeta): string | undefined {
  const fields: { fileName?: string; mediaType?: string } = {};
  if (meta.fileName !== undefined) fields.fileName = meta.fileName;
  if (meta.mediaType !== undefined) fields.mediaType = meta.mediaType;
  if (Object.keys(fields).length === 0) return undefined;
  const content = JSON.stringify(fields);
  if (Buffer.byteLength(content) > MAX_SIDECAR_BYTES) {
    throw new CairnError(
      Code.InvalidArgument,
      `a blob's file name and media type may take at most ${MAX_SIDECAR_BYTES} bytes; shorten them`,
    );
  }
  return content;
}

function parseSidecar(text: string): BlobMeta {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object') return {};
  const { fileName, mediaType } = parsed as Record<string, unknown>;
  const meta: { fileName?: string; mediaType?: string } = {};
  if (typeof fileName === 'string') meta.fileName = fileName;
  if (typeof mediaType === 'string') meta.mediaType = mediaType;
  return meta;
}
