import { createHash, type Hash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { BlobRef } from './digest.js';
import type { BlobInfo, BlobMeta, ByteRange, Driver, StagedBlob } from './provider.js';

/**
 * A backend as the rest of Cairn sees it: a driver wrapped in the verification every byte goes
 * through. Uploads are hashed while they stream and committed only when digest and size match;
 * downloads are hashed again and the last chunk is held back until the digest matched.
 */
export interface BlobStore {
  /** Stores a whole stream. Resolves `{ existed: true }` without reading it when the blob is stored already. */
  upload(
    source: AsyncIterable<Uint8Array>,
    blob: BlobRef,
    signal: AbortSignal,
    meta?: BlobMeta,
  ): Promise<{ existed: boolean }>;
  /** Starts an upload fed chunk by chunk (one gRPC Write, or several when a client resumes). */
  beginUpload(blob: BlobRef, signal: AbortSignal, meta?: BlobMeta): Promise<BlobUpload>;
  /** The verified bytes of `range`; NOT_FOUND if not stored, OUT_OF_RANGE if the range starts past the end. */
  download(hex: string, range: ByteRange, signal: AbortSignal): Promise<Download>;
  exists(hex: string, signal: AbortSignal): Promise<boolean>;
  describe(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined>;
  checkWriteAccess(signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

export interface Download {
  readonly info: BlobInfo;
  /** First byte and number of bytes this download yields. */
  readonly offset: number;
  readonly length: number;
  readonly body: AsyncIterable<Uint8Array>;
}

export function createBlobStore(driver: Driver): BlobStore {
  return {
    async upload(source, blob, signal, meta = {}) {
      if (await driver.stat(blob.hex, signal)) return { existed: true };
      const upload = await this.beginUpload(blob, signal, meta);
      try {
        for await (const chunk of source) await upload.write(chunk, signal);
        await upload.finish(signal);
      } catch (error) {
        await upload.abort();
        throw error;
      }
      return { existed: false };
    },

    async beginUpload(blob, signal, meta = {}) {
      assertBlobRef(blob);
      return new BlobUpload(blob, await driver.stage(blob, meta, signal));
    },

    async download(hex, range, signal) {
      const info = await driver.stat(hex, signal);
      if (!info) throw notFound(hex);
      const { offset, length } = clampRange(range, info.size);
      return { info, offset, length, body: verifiedRead(driver, info, offset, length, signal) };
    },

    async exists(hex, signal) {
      return (await driver.stat(hex, signal)) !== undefined;
    },

    describe: (hex, signal) => driver.stat(hex, signal),
    checkWriteAccess: (signal) => driver.checkWriteAccess(signal),
    close: () => driver.close(),
  };
}

/**
 * One blob on its way in. Bytes are hashed before the driver sees them; more bytes than declared is
 * refused at once; `finish` commits only when size and digest match, and aborts otherwise.
 */
export class BlobUpload {
  readonly #hash: Hash = createHash('sha256');
  #received = 0;
  #state: 'open' | 'writing' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly blob: BlobRef,
    private readonly staged: StagedBlob,
  ) {}

  /** Bytes taken so far; where a resumed upload continues. */
  get received(): number {
    return this.#received;
  }

  get state(): 'open' | 'writing' | 'committed' | 'aborted' {
    return this.#state;
  }

  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    if (chunk.byteLength === 0) return;
    if (this.#received + chunk.byteLength > this.blob.size) {
      await this.abort();
      throw new CairnError(
        Code.InvalidArgument,
        `received more than the declared ${this.blob.size} bytes; declare the blob's real size`,
        { details: { reason: 'size_mismatch' } },
      );
    }
    this.#hash.update(chunk);
    this.#received += chunk.byteLength;
    this.#state = 'writing';
    try {
      await this.staged.write(chunk, signal);
    } catch (error) {
      await this.abort();
      throw error;
    } finally {
      if (this.#state === 'writing') this.#state = 'open';
    }
  }

  async finish(signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    if (this.#received !== this.blob.size) {
      await this.abort();
      throw new CairnError(
        Code.InvalidArgument,
        `received ${this.#received} bytes but ${this.blob.size} were declared; send the whole blob`,
        { details: { reason: 'size_mismatch' } },
      );
    }
    const actual = this.#hash.digest('hex');
    if (actual !== this.blob.hex) {
      await this.abort();
      throw new CairnError(
        Code.InvalidArgument,
        `the bytes hash to sha256:${actual}, not the declared sha256:${this.blob.hex}; nothing was stored`,
        { details: { reason: 'digest_mismatch' } },
      );
    }
    try {
      await this.staged.commit(signal);
      this.#state = 'committed';
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  async abort(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'aborted') return;
    this.#state = 'aborted';
    await this.staged.abort();
  }

  #expectOpen(): void {
    if (this.#state !== 'open') {
      throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}; start a new one`);
    }
  }
}

function assertBlobRef(blob: BlobRef): void {
  if (!Number.isSafeInteger(blob.size) || blob.size < 0) {
    throw new CairnError(Code.InvalidArgument, `size ${blob.size} is not a non-negative integer`);
  }
  if (!/^[0-9a-f]{64}$/.test(blob.hex)) {
    throw new CairnError(Code.InvalidArgument, 'a digest must be 64 lower-case hex characters');
  }
}

function clampRange(range: ByteRange, size: number): { offset: number; length: number } {
  const { offset } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size || (offset === size && size > 0)) {
    throw new CairnError(
      Code.OutOfRange,
      `offset ${offset} is outside the blob's ${size} bytes; ask for an offset below ${size}`,
    );
  }
  const available = size - offset;
  const length = range.length === undefined ? available : Math.min(range.length, available);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new CairnError(Code.OutOfRange, `length ${range.length} is not a non-negative integer`);
  }
  return { offset, length };
}

/**
 * Reads the whole blob, hashing all of it, and yields only the requested range. The last chunk the caller
 * would see is held back until the digest matched, so a corrupted blob never reads as complete. A range
 * therefore costs a read of the whole blob; evidence is read whole far more often than in parts.
 */
async function* verifiedRead(
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
  const actual = hash.digest('hex');
  if (position !== info.size || actual !== info.hex) {
    throw new CairnError(
      Code.DataLoss,
      `stored blob sha256:${info.hex} is corrupt (read ${position} bytes hashing to sha256:${actual}); restore it from another copy`,
      { details: { reason: 'stored_blob_corrupt' } },
    );
  }
  if (pending) yield pending;
}

function notFound(hex: string): CairnError {
  return new CairnError(Code.NotFound, `blob sha256:${hex} is not stored in this backend; upload it first`);
}
