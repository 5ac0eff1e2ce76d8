import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireSha256Hex } from '@cairn/digest';
import { CairnError, Code, throwIfAborted } from '@cairn/errors';
import { blobNotStored } from '../core/blob-not-stored.js';
import { OPERATION_ABORT_WORDING } from '../core/cancellation.js';
import type {
  BlobInfo,
  BlobMeta,
  BlobRef,
  ByteRange,
  Driver,
  ResumableStaging,
  ResumedStage,
  StagedBlob,
  SweepReport,
} from '../core/provider.js';
import { DIRECTORY_MODE, FILE_MODE, Layout, PROBE_PREFIX, requireRoot } from './client.js';
import { errnoOf, fromFilesystemError } from './errors.js';
import { encodeSidecar, readSidecar } from './metadata-sidecar.js';
import { keyedStagingPath, StagedFile } from './staged-upload.js';
import { sweepStaging } from './staging-sweep.js';

/** Big enough to read at disk speed, small enough that a download holds about one chunk at a time. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** A backend that is a directory; see layout.ts for what lives where. */
export class FilesystemDriver implements Driver {
  readonly layout: Layout;
  readonly #staged = new Set<StagedFile>();
  #closed = false;

  constructor(root: string) {
    this.layout = new Layout(root);
  }

  /**
   * Every replica serving this folder sees its staging files, and a staged file reads back: an upload
   * interrupted on one replica continues on whichever the client reaches next.
   */
  readonly resumable: ResumableStaging = {
    open: (blob, meta, key, signal) => this.#openKeyed(blob, meta, key, signal),
    size: async (blob, key, signal) => {
      requireSha256Hex(blob.hex);
      throwIfAborted(signal, OPERATION_ABORT_WORDING);
      try {
        const file = await stat(keyedStagingPath(this.layout, blob, key));
        return file.isFile() ? file.size : undefined;
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return undefined;
        throw fromFilesystemError(error, this.layout.root, 'look up a staged upload');
      }
    },
  };

  async #openKeyed(blob: BlobRef, meta: BlobMeta, key: string, signal: AbortSignal): Promise<ResumedStage> {
    requireSha256Hex(blob.hex);
    this.#expectOpen();
    const sidecar = encodeSidecar(meta);
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    let opened: { staged: StagedFile; size: number };
    try {
      opened = await StagedFile.openKeyed(this.layout, blob, sidecar, key, (settled) =>
        this.#staged.delete(settled),
      );
    } catch (error) {
      if (error instanceof CairnError) throw error;
      throw fromFilesystemError(error, this.layout.root, 'stage a blob');
    }
    const { staged, size } = opened;
    if (this.#closed) {
      await staged.suspend();
      this.#expectOpen();
    }
    this.#staged.add(staged);
    return { staged, size, before: { stagedBytes: (readSignal) => staged.stagedBytes(size, readSignal) } };
  }

  async stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob> {
    requireSha256Hex(blob.hex);
    this.#expectOpen();
    const sidecar = encodeSidecar(meta);
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    let staged: StagedFile;
    try {
      staged = await StagedFile.open(this.layout, blob, sidecar, (settled) => this.#staged.delete(settled));
    } catch (error) {
      throw fromFilesystemError(error, this.layout.root, 'stage a blob');
    }
    if (this.#closed) {
      // close() ran while the file was being created; it could not abort what it did not know of.
      await staged.abort();
      this.#expectOpen();
    }
    this.#staged.add(staged);
    return staged;
  }

  async read(hex: string, range: ByteRange, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    requireSha256Hex(hex);
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    try {
      await stat(this.layout.blobPath(hex));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') throw blobNotStored(hex);
      throw fromFilesystemError(error, this.layout.root, 'read a blob');
    }
    // The file is opened only once iteration starts, so a body nobody reads holds no descriptor.
    return readChunks(this.layout, hex, range, signal);
  }

  async stat(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined> {
    requireSha256Hex(hex);
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    try {
      const file = await stat(this.layout.blobPath(hex));
      if (!file.isFile()) return undefined;
      return { hex, size: file.size, ...(await readSidecar(this.layout, hex, signal)) };
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw fromFilesystemError(error, this.layout.root, 'look up a blob');
    }
  }

  /**
   * Checks that the root is a directory, creates its subfolders if missing, then writes, reads back and
   * removes a probe file in the root.
   */
  async checkWriteAccess(signal: AbortSignal): Promise<void> {
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    const { root, blobsDir, stagingDir } = this.layout;
    const probe = join(root, `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`);
    const payload = randomBytes(32);
    await requireRoot(root);
    try {
      await mkdir(blobsDir, { recursive: true, mode: DIRECTORY_MODE });
      await mkdir(stagingDir, { recursive: true, mode: DIRECTORY_MODE });
      await writeFile(probe, payload, { flag: 'wx', mode: FILE_MODE, signal });
      const readBack = await readFile(probe, { signal });
      if (!readBack.equals(payload)) {
        throw new CairnError(
          Code.DataLoss,
          `a probe file written to ${root} read back different bytes; check the health of its device`,
        );
      }
    } catch (error) {
      throw fromFilesystemError(error, root, 'write a probe file');
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Removes uploads a crash or a vanished client left in the staging directory, once untouched for
   * `olderThanMs`; returns how many. It is an explicit call (the CAS's leftover sweeper makes it through
   * `sweepLeftovers`) rather than part of creating a driver: drivers are cheap and made per backend use, a directory scan is
   * not, and only the caller knows how long its clients may pause a resumable upload. Uploads this driver
   * still holds open are never touched.
   */
  sweepStaging(olderThanMs: number, signal: AbortSignal): Promise<number> {
    const live = new Set([...this.#staged].map((staged) => staged.path));
    return sweepStaging(this.layout, olderThanMs, live, signal);
  }

  /** The driver contract's name for `sweepStaging`: a directory's leftovers are its staging files and probes. */
  async sweepLeftovers(olderThanMs: number, signal: AbortSignal): Promise<SweepReport> {
    return { removed: await this.sweepStaging(olderThanMs, signal), left: 0 };
  }

  #expectOpen(): void {
    if (this.#closed) throw new CairnError(Code.FailedPrecondition, 'this backend was closed; open it again');
  }

  /** Aborts uploads still in progress, which closes their files and removes them. */
  async close(): Promise<void> {
    this.#closed = true;
    // A keyed upload stays staged for a client to resume elsewhere; an unkeyed one has no other taker.
    await Promise.all([...this.#staged].map((staged) => (staged.keyed ? staged.suspend() : staged.abort())));
  }
}

async function* readChunks(
  layout: Layout,
  hex: string,
  range: ByteRange,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (range.length === 0) return;
  const end = range.length === undefined ? undefined : range.offset + range.length - 1;
  // Each chunk is a fresh buffer from the stream (never reused), as Driver.read requires.
  const stream = createReadStream(layout.blobPath(hex), {
    start: range.offset,
    ...(end === undefined ? {} : { end }),
    highWaterMark: READ_CHUNK_BYTES,
    signal,
  });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') throw blobNotStored(hex);
    throw fromFilesystemError(error, layout.root, 'read a blob');
  } finally {
    stream.destroy();
  }
}
