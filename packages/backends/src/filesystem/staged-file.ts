import { randomBytes } from 'node:crypto';
import { type FileHandle, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { throwIfAborted } from '../core/abort.js';
import type { BlobRef } from '../core/digest.js';
import type { StagedBlob } from '../core/provider.js';
import { errnoOf, fsError } from './fs-errors.js';
import { DIRECTORY_MODE, FILE_MODE, type Layout, PARTIAL_SUFFIX } from './layout.js';
import { publishSidecar } from './sidecar.js';
import { syncDirectory } from './sync-directory.js';
import { WriteBehind } from './write-behind.js';

/**
 * One upload on its way to disk: a temp file in the staging directory, written through a few buffers of
 * its own while the caller goes on (write-behind.ts), made durable and renamed into place on commit.
 */
export class StagedFile implements StagedBlob {
  #handle: FileHandle | undefined;
  readonly #writes: WriteBehind;
  #state: 'open' | 'committing' | 'committed' | 'failed' | 'aborted' = 'open';

  private constructor(
    private readonly layout: Layout,
    private readonly blob: BlobRef,
    private readonly sidecar: string | undefined,
    readonly path: string,
    handle: FileHandle,
    private readonly onSettled: (staged: StagedFile) => void,
  ) {
    this.#handle = handle;
    this.#writes = new WriteBehind(handle, blob.size);
  }

  static async open(
    layout: Layout,
    blob: BlobRef,
    sidecar: string | undefined,
    onSettled: (staged: StagedFile) => void,
  ): Promise<StagedFile> {
    await mkdir(layout.stagingDir, { recursive: true, mode: DIRECTORY_MODE });
    const path = layout.stagingPath(
      `${blob.hex.slice(0, 12)}-${randomBytes(8).toString('hex')}${PARTIAL_SUFFIX}`,
    );
    const handle = await open(path, 'wx', FILE_MODE);
    return new StagedFile(layout, blob, sidecar, path, handle, onSettled);
  }

  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    throwIfAborted(signal);
    try {
      await this.#writes.append(chunk);
    } catch (error) {
      // Aborted while waiting for a buffer: say so rather than report the discarded write.
      this.#expectOpen();
      throw fsError(error, this.layout.root, 'store a blob');
    }
  }

  #expectOpen(): void {
    if (this.#state !== 'open' || this.#handle === undefined) {
      throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}; start a new one`);
    }
  }

  async commit(_signal: AbortSignal): Promise<void> {
    const handle = this.#handle;
    if (this.#state !== 'open' || handle === undefined) {
      throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}; start a new one`);
    }
    // Once verified, a commit runs to its end even if the caller gives up: it takes milliseconds, and a
    // half-done commit would leave more to clean than a finished one.
    this.#state = 'committing';
    this.#handle = undefined;
    try {
      await this.#writes.flush();
      await handle.sync();
      await handle.close();
      await this.#ensureShardDirectory();
      if (await isPresent(this.layout.blobPath(this.blob.hex))) {
        // A concurrent upload of the same bytes won; its blob is as good as ours.
        await rm(this.path, { force: true });
      } else {
        await publishSidecar(this.layout, this.blob.hex, this.sidecar);
        await rename(this.path, this.layout.blobPath(this.blob.hex));
        await syncDirectory(this.layout.shardDir(this.blob.hex));
      }
      this.#state = 'committed';
      this.onSettled(this);
    } catch (error) {
      this.#state = 'failed';
      await handle.close().catch(() => undefined);
      throw fsError(error, this.layout.root, 'store a blob');
    }
  }

  /** Closes the file (waiting for a write in flight) and removes it. Never throws: it runs on error paths. */
  async abort(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'aborted' || this.#state === 'committing') return;
    this.#state = 'aborted';
    const handle = this.#handle;
    this.#handle = undefined;
    await this.#writes.discard();
    await handle?.close().catch(() => undefined);
    // If this fails the file stays in .staging, where sweepStaging finds it.
    await rm(this.path, { force: true }).catch(() => undefined);
    this.onSettled(this);
  }

  async #ensureShardDirectory(): Promise<void> {
    const shard = this.layout.shardDir(this.blob.hex);
    const created = await mkdir(shard, { recursive: true, mode: DIRECTORY_MODE });
    if (created === undefined) return;
    // New directories must be durable too, or a crash could lose the entry that leads to the blob.
    await syncDirectory(this.layout.blobsDir);
    if (created !== shard) await syncDirectory(dirname(this.layout.blobsDir));
  }
}

async function isPresent(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw error;
  }
}
