import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isSha256Hex } from '@cairn/digest';
import { throwIfAborted } from '@cairn/errors';
import { OPERATION_ABORT_WORDING } from '../../core/cancellation.js';
import { type Layout, META_SUFFIX, PROBE_PREFIX } from '../../filesystem/client.js';
import { errnoOf } from '../../filesystem/errors.js';

/**
 * Looks at a filesystem backend's directory directly, without the driver: what an operator (or the
 * conformance suite) sees on disk.
 */

/** Digests of every blob present under the root. */
export async function listStoredBlobs(layout: Layout, signal: AbortSignal): Promise<string[]> {
  const found: string[] = [];
  for (const shard of await namesIn(layout.blobsDir)) {
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    for (const name of await namesIn(join(layout.blobsDir, shard))) {
      if (isSha256Hex(name)) found.push(name);
    }
  }
  return found.sort();
}

/** Anything an upload left behind: staging files, write probes, and metadata without its blob. */
export async function listLeftovers(layout: Layout, signal: AbortSignal): Promise<string[]> {
  const leftovers = (await namesIn(layout.stagingDir)).map((name) => join(layout.stagingDir, name));
  for (const name of await namesIn(layout.root)) {
    if (name.startsWith(PROBE_PREFIX)) leftovers.push(join(layout.root, name));
  }
  for (const shard of await namesIn(layout.blobsDir)) {
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    const names = new Set(await namesIn(join(layout.blobsDir, shard)));
    for (const name of names) {
      if (
        !isSha256Hex(name) &&
        !(name.endsWith(META_SUFFIX) && names.has(name.slice(0, -META_SUFFIX.length)))
      ) {
        leftovers.push(join(layout.blobsDir, shard, name));
      }
    }
  }
  return leftovers.sort();
}

/** Inverts one byte in the middle of a stored blob, in place, keeping its size. */
export async function flipStoredByte(layout: Layout, hex: string, signal: AbortSignal): Promise<void> {
  throwIfAborted(signal, OPERATION_ABORT_WORDING);
  const handle = await open(layout.blobPath(hex), 'r+');
  try {
    const { size } = await handle.stat();
    const at = Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte.writeUInt8(byte.readUInt8(0) ^ 0xff, 0);
    await handle.write(byte, 0, 1, at);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function namesIn(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return [];
    throw error;
  }
}
