import { createHash } from 'node:crypto';
import { abortError, CairnError, Code } from '@cairn/errors';
import { OPERATION_ABORT_WORDING } from './cancellation.js';
import type { BlobInfo, Driver } from './provider.js';

/**
 * Reads the whole blob, hashing all of it, and yields only the requested range. The last chunk the caller
 * would see is held back until the digest matched, so a corrupted blob never reads as complete. A range
 * therefore costs a read of the whole blob; evidence is read whole far more often than in parts.
 * The driver's chunks are yielded (as views) without copying, which is why a driver must never reuse them.
 */
export async function* verifiedRead(
  driver: Driver,
  info: BlobInfo,
  offset: number,
  length: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  const end = offset + length;
  let position = 0;
  let pending: Uint8Array | undefined;
  try {
    for await (const chunk of await driver.read(info.hex, { offset: 0 }, signal)) {
      hash.update(chunk);
      const start = position;
      position += chunk.byteLength;
      if (position > info.size) break;
      const from = Math.max(offset, start);
      const to = Math.min(end, position);
      if (to > from) {
        if (pending) yield pending;
        pending = chunk.subarray(from - start, to - start);
      }
    }
  } catch (error) {
    throw signal.aborted ? abortError(signal, OPERATION_ABORT_WORDING) : CairnError.from(error);
  }
  const actual = hash.digest('hex');
  if (position !== info.size || actual !== info.hex) {
    throw new CairnError(
      Code.DataLoss,
      `stored blob sha256:${info.hex} is corrupt (read ${position} of ${info.size} bytes, hashing to sha256:${actual}); restore it from another copy`,
      { details: { reason: 'stored_blob_corrupt' } },
    );
  }
  if (pending) yield pending;
}
