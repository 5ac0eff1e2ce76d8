import { createCipheriv, createHash } from 'node:crypto';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Bytes per piece a load transfer sends, generates or hashes at once. */
export const PIECE_BYTES = MiB;

const ZEROS = Buffer.alloc(PIECE_BYTES);

/**
 * A blob whose bytes are the AES-128-CTR keystream of a key derived from the run's seed and the blob's
 * number: never held whole, generated again from any offset (a CTR counter is seekable), different from
 * every other blob of every other run with another seed (so the CAS never holds it already), and costing
 * far less CPU than the hashing that checks it.
 */
export class SeededBlob {
  readonly #key: Buffer;

  constructor(
    seed: string,
    readonly number: number,
    readonly size: number,
  ) {
    this.#key = createHash('sha256').update(`cairn-load:${seed}:${number}`).digest().subarray(0, 16);
  }

  /** The bytes from `offset` on, in pieces of at most PIECE_BYTES (each a fresh buffer). */
  *pieces(offset = 0): Generator<Buffer> {
    const iv = Buffer.alloc(16);
    iv.writeBigUInt64BE(BigInt(Math.floor(offset / 16)), 8);
    const cipher = createCipheriv('aes-128-ctr', this.#key, iv);
    const skip = offset % 16;
    if (skip > 0) cipher.update(ZEROS.subarray(0, skip));
    for (let at = offset; at < this.size; at += PIECE_BYTES) {
      yield cipher.update(ZEROS.subarray(0, Math.min(PIECE_BYTES, this.size - at)));
    }
  }

  /** Its sha256 (hex), computed piece by piece, letting other transfers run between pieces. */
  async sha256(): Promise<string> {
    const hash = createHash('sha256');
    for (const piece of this.pieces()) {
      hash.update(piece);
      await yieldToLoop();
    }
    return hash.digest('hex');
  }
}
