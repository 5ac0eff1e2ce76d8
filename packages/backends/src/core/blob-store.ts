import { requireSha256Hex } from '@cairn/digest';
import { abortable, CairnError, Code, throwIfAborted } from '@cairn/errors';
import { blobNotStored } from './blob-not-stored.js';
import { BlobUpload } from './blob-upload.js';
import { OPERATION_ABORT_WORDING } from './cancellation.js';
import type { BlobInfo, BlobMeta, BlobRef, ByteRange, Driver, SweepReport } from './provider.js';
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
  /**
   * Starts an upload fed chunk by chunk (one gRPC Write, or several when a client resumes). With a
   * `resumeKey` on a backend whose uploads any process can continue (`resumableUploads`), it picks up what
   * is staged under that key, its bytes hashed again (`received` says how many); elsewhere the key is
   * ignored and the upload starts empty.
   */
  beginUpload(blob: BlobRef, signal: AbortSignal, meta?: BlobMeta, resumeKey?: string): Promise<BlobUpload>;
  /** Whether an upload suspended here can be continued by another process (another CAS replica). */
  readonly resumableUploads: boolean;
  /** Bytes staged under `resumeKey` (see `beginUpload`); undefined when none are or uploads do not resume. */
  stagedBytes(blob: BlobRef, resumeKey: string, signal: AbortSignal): Promise<number | undefined>;
  /** The verified bytes of `range`; NOT_FOUND if not stored, OUT_OF_RANGE if the range starts past the end. */
  download(hex: string, range: ByteRange, signal: AbortSignal): Promise<Download>;
  exists(hex: string, signal: AbortSignal): Promise<boolean>;
  describe(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined>;
  checkWriteAccess(signal: AbortSignal): Promise<void>;
  /** Removes leftovers of unfinished uploads idle at least `olderThanMs` (see `Driver.sweepLeftovers`). */
  sweepLeftovers(olderThanMs: number, signal: AbortSignal): Promise<SweepReport>;
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
    requireSha256Hex(hex);
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    return driver.stat(hex, signal);
  };
  const beginUpload = async (blob: BlobRef, signal: AbortSignal, meta: BlobMeta = {}, resumeKey?: string) => {
    assertBlobRef(blob);
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    if (resumeKey !== undefined && driver.resumable) {
      return BlobUpload.resumed(blob, await driver.resumable.open(blob, meta, resumeKey, signal), signal);
    }
    return new BlobUpload(blob, await driver.stage(blob, meta, signal));
  };

  return {
    async upload(source, blob, signal, meta = {}) {
      assertBlobRef(blob);
      if (await stat(blob.hex, signal)) return { existed: true };
      const upload = await beginUpload(blob, signal, meta);
      try {
        for await (const chunk of abortable(source, signal, OPERATION_ABORT_WORDING))
          await upload.write(chunk, signal);
        await upload.finish(signal);
      } catch (error) {
        await upload.abort();
        throw CairnError.from(error);
      }
      return { existed: false };
    },

    beginUpload,
    resumableUploads: driver.resumable !== undefined,

    async stagedBytes(blob, resumeKey, signal) {
      assertBlobRef(blob);
      throwIfAborted(signal, OPERATION_ABORT_WORDING);
      return driver.resumable?.size(blob, resumeKey, signal);
    },

    async download(hex, range, signal) {
      const info = await stat(hex, signal);
      if (!info) throw blobNotStored(hex);
      const { offset, length } = clampRange(range, info.size);
      return { info, offset, length, body: verifiedRead(driver, info, offset, length, signal) };
    },

    async exists(hex, signal) {
      return (await stat(hex, signal)) !== undefined;
    },

    describe: stat,
    checkWriteAccess: async (signal) => {
      throwIfAborted(signal, OPERATION_ABORT_WORDING);
      return driver.checkWriteAccess(signal);
    },
    sweepLeftovers: async (olderThanMs, signal) => {
      throwIfAborted(signal, OPERATION_ABORT_WORDING);
      return driver.sweepLeftovers ? driver.sweepLeftovers(olderThanMs, signal) : { removed: 0, left: 0 };
    },
    close: () => driver.close(),
  };
}

function assertBlobRef(blob: BlobRef): void {
  if (!Number.isSafeInteger(blob.size) || blob.size < 0) {
    throw new CairnError(Code.InvalidArgument, `size ${blob.size} is not a non-negative integer`);
  }
  requireSha256Hex(blob.hex);
}
