import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { throwIfAborted } from '../core/abort.js';
import type { BlobRef } from '../core/digest.js';
import { isSha256Hex } from '../core/digest.js';
import type { BlobInfo, BlobMeta, ByteRange, Driver, StagedBlob } from '../core/provider.js';
import { errnoOf, fsError } from './fs-errors.js';
import { DIRECTORY_MODE, FILE_MODE, Layout, PROBE_PREFIX } from './layout.js';
import { encodeSidecar, readSidecar } from './sidecar.js';
import { StagedFile } from './staged-file.js';
import { sweepStaging } from './sweep.js';

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

  async stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob> {
    assertHex(blob.hex);
    this.#expectOpen();
    const sidecar = encodeSidecar(meta);
    throwIfAborted(signal);
    let staged: StagedFile;
    try {
      staged = await StagedFile.open(this.layout, blob, sidecar, (settled) => this.#staged.delete(settled));
    } catch (error) {
      throw fsError(error, this.layout.root, 'stage a blob');
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
    assertHex(hex);
    throwIfAborted(signal);
    try {
      await stat(this.layout.blobPath(hex));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') throw notStored(hex);
      throw fsError(error, this.layout.root, 'read a blob');
    }
    // The file is opened only once iteration starts, so a body nobody reads holds no descriptor.
    return readChunks(this.layout, hex, range, signal);
  }

  async stat(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined> {
    assertHex(hex);
    throwIfAborted(signal);
    try {
      const file = await stat(this.layout.blobPath(hex));
      if (!file.isFile()) return undefined;
      return { hex, size: file.size, ...(await readSidecar(this.layout, hex, signal)) };
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw fsError(error, this.layout.root, 'look up a blob');
    }
  }

  /** Creates the directories if missing, then writes, reads back and removes a probe file in the root. */
  async checkWriteAccess(signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const { root, blobsDir, stagingDir } = this.layout;
    const probe = join(root, `${PROBE_PREFIX}${randomBytes(8).toString('hex')}`);
    const payload = randomBytes(32);
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
      throw fsError(error, root, 'write a probe file');
    } finally {
      await rm(probe, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Removes uploads a crash or a vanished client left in the staging directory, once untouched for
   * `olderThanMs`; returns how many. It is an explicit call (for the CAS to run at start and on a timer)
   * rather than part of creating a driver: drivers are cheap and made per backend use, a directory scan is
   * not, and only the caller knows how long its clients may pause a resumable upload. Uploads this driver
   * still holds open are never touched.
   */
  sweepStaging(olderThanMs: number, signal: AbortSignal): Promise<number> {
    const live = new Set([...this.#staged].map((staged) => staged.path));
    return sweepStaging(this.layout, olderThanMs, live, signal);
  }

  #expectOpen(): void {
    if (this.#closed) throw new CairnError(Code.FailedPrecondition, 'this backend was closed; open it again');
  }

  /** Aborts uploads still in progress, which closes their files and removes them. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#staged].map((staged) => staged.abort()));
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
    if (errnoOf(error) === 'ENOENT') throw notStored(hex);
    throw fsError(error, layout.root, 'read a blob');
  } finally {
    stream.destroy();
  }
}

function assertHex(hex: string): void {
  if (!isSha256Hex(hex)) {
    throw new CairnError(Code.InvalidArgument, 'a digest must be 64 lower-case hex characters');
  }
}

function notStored(hex: string): CairnError {
  return new CairnError(Code.NotFound, `blob sha256:${hex} is not stored in this backend; upload it first`);
}
