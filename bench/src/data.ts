import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * A blob of `size` bytes made of one random 1 MiB block repeated: cheap to produce at any size while the
 * server still hashes every byte. Each call gets a fresh block, so two payloads never share a digest.
 */
export interface Payload {
  readonly size: number;
  readonly hex: string;
  chunks(chunkSize?: number): Generator<Uint8Array>;
}

export function makePayload(size: number): Payload {
  const block = randomBytes(MiB);
  const chunks = function* (chunkSize = MiB): Generator<Uint8Array> {
    for (let offset = 0; offset < size; offset += chunkSize) {
      const length = Math.min(chunkSize, size - offset);
      const start = offset % MiB;
      // Chunks are whole-block aligned when chunkSize divides 1 MiB, the only sizes the bench uses.
      yield block.subarray(start, start + length);
    }
  };
  const hash = createHash('sha256');
  for (const chunk of chunks()) hash.update(chunk);
  return { size, hex: hash.digest('hex'), chunks };
}

/** node's sha256 over `size` bytes in 1 MiB updates, in bytes per second. */
export function sha256Throughput(size: number): number {
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  const started = process.hrtime.bigint();
  for (let done = 0; done < size; done += MiB) hash.update(block);
  hash.digest();
  return size / seconds(started);
}

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}
