import { createCipheriv, createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { BlobRef } from '../../core/provider.js';

export const MiB = 1024 * 1024;

/**
 * Deterministic pseudo-random test data of any size, produced chunk by chunk: the AES-128-CTR keystream
 * of a key derived from `seed`. CTR is a stream, so the bytes do not depend on the chunk size, the same
 * seed with a larger size extends the smaller blob, and generating runs at several GiB/s. Every chunk is
 * a fresh buffer.
 */
export function* pseudoRandomChunks(seed: string, size: number, chunkBytes = MiB): Generator<Buffer> {
  const key = createHash('sha256').update(`cairn-conformance:${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(Math.min(chunkBytes, Math.max(size, 1)));
  for (let produced = 0; produced < size; ) {
    const length = Math.min(chunkBytes, size - produced);
    yield cipher.update(zeros.subarray(0, length));
    produced += length;
  }
}

/** The same bytes as an upload source. */
export async function* pseudoRandomSource(
  seed: string,
  size: number,
  chunkBytes = MiB,
): AsyncGenerator<Uint8Array> {
  yield* pseudoRandomChunks(seed, size, chunkBytes);
}

/** The whole blob in memory: only for small sizes. */
export function pseudoRandomBytes(seed: string, size: number): Buffer {
  return Buffer.concat([...pseudoRandomChunks(seed, size)]);
}

/** Digest and size of the generated blob, hashed while generating (never held whole in memory). */
export async function describeGenerated(seed: string, size: number): Promise<BlobRef> {
  const hash = createHash('sha256');
  let count = 0;
  for (const chunk of pseudoRandomChunks(seed, size)) {
    hash.update(chunk);
    // Let timers and the test runner breathe during a long, CPU-bound pass.
    if (++count % 64 === 0) await yieldToEventLoop();
  }
  return { hex: hash.digest('hex'), size };
}

/** Digest and size of what a body yields. */
export async function describeBody(body: AsyncIterable<Uint8Array>, onChunk?: () => void): Promise<BlobRef> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    size += chunk.byteLength;
    onChunk?.();
  }
  return { hex: hash.digest('hex'), size };
}
