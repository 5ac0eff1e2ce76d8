import { CairnError, Code } from '@cairn/errors';
import { abortable, throwIfAborted } from './abort.js';
import { BlobUpload } from './blob-upload.js';
import { type BlobRef, isSha256Hex } from './digest.js';
import type { BlobInfo, BlobMeta, ByteRange, Driver } from './provider.js';
import { clampRange } from './range.js';
import { verifiedRead } from './verified-read.js';

export { BlobUpload, type UploadState } from './blob-upload.js';

/**
 * A backend as the rest of Cairn sees it: a driver wrapped in the verification every byte goes
 * through. Uploads are hashed while they stream and committed only when digest and size match;
 * downloads are hashed again and the last chunk is held back until the digest matched.
 * Digests are checked here before a driver sees them, so a driver never gets a malformed one.
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
  const stat = async (hex: string, signal: AbortSignal) => {
    assertHex(hex);
    throwIfAborted(signal);
    return driver.stat(hex, signal);
  };
  const beginUpload = async (blob: BlobRef, signal: AbortSignal, meta: BlobMeta = {}) => {
    assertBlobRef(blob);
    throwIfAborted(signal);
    return new BlobUpload(blob, await driver.stage(blob, meta, signal));
  };

  return {
    async upload(source, blob, signal, meta = {}) {
      assertBlobRef(blob);
      if (await stat(blob.hex, signal)) return { existed: true };
      const upload = await beginUpload(blob, signal, meta);
      try {
        for await (const chunk of abortable(source, signal)) await upload.write(chunk, signal);
        await upload.finish(signal);
      } catch (error) {
        await upload.abort();
        throw CairnError.from(error);
      }
      return { existed: false };
    },

    beginUpload,

    async download(hex, range, signal) {
      const info = await stat(hex, signal);
      if (!info) throw notFound(hex);
      const { offset, length } = clampRange(range, info.size);
      return { info, offset, length, body: verifiedRead(driver, info, offset, length, signal) };
    },

    async exists(hex, signal) {
      return (await stat(hex, signal)) !== undefined;
    },

    describe: stat,
    checkWriteAccess: async (signal) => {
      throwIfAborted(signal);
      return driver.checkWriteAccess(signal);
    },
    close: () => driver.close(),
  };
}

function assertHex(hex: string): void {
  if (!isSha256Hex(hex)) {
    throw new CairnError(Code.InvalidArgument, 'a digest must be 64 lower-case hex characters');
  }
}

function assertBlobRef(blob: BlobRef): void {
  if (!Number.isSafeInteger(blob.size) || blob.size < 0) {
    throw new CairnError(Code.InvalidArgument, `size ${blob.size} is not a non-negative integer`);
  }
  assertHex(blob.hex);
}

function notFound(hex: string): CairnError {
  return new CairnError(Code.NotFound, `blob sha256:${hex} is not stored in this backend; upload it first`);
}
