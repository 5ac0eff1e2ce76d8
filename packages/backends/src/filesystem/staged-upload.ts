import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sha256Hex } from '@cairn/digest';
import { CairnError, Code, throwIfAborted } from '@cairn/errors';
import { tryLock } from 'fs-native-extensions';
import { OPERATION_ABORT_WORDING } from '../core/cancellation.js';
import type { BlobRef, SuspendableStagedBlob } from '../core/provider.js';
import {
  DIRECTORY_MODE,
  FILE_MODE,
  type Layout,
  PARTIAL_SUFFIX,
  requireRoot,
  syncDirectory,
} from './client.js';
import { errnoOf, fromFilesystemError } from './errors.js';
import { publishSidecar } from './metadata-sidecar.js';
import { WriteBehind } from './write-behind.js';

/**
 * One upload on its way to disk: a temp file in the staging directory, written through a few buffers of
 * its own while the caller goes on (write-behind.ts), made durable and renamed into place on commit.
 *
 * A keyed upload (`openKeyed`) is named after its upload's key and can be suspended and picked up again
 * by any process that sees the folder — another CAS replica on shared storage. While open it holds an
 * exclusive lock on its file, so two processes never append to one upload, and it renames or unlinks the
 * file before letting go of the lock, so whoever takes the lock next finds a staging file or none, never a
 * committed blob under the staging name.
 */
export class StagedFile implements SuspendableStagedBlob {
  #handle: FileHandle | undefined;
  readonly #writes: WriteBehind;
  #state: 'open' | 'committing' | 'committed' | 'failed' | 'aborted' | 'suspended' = 'open';

  private constructor(
    private readonly layout: Layout,
    private readonly blob: BlobRef,
    private readonly sidecar: string | undefined,
    readonly path: string,
    handle: FileHandle,
    private readonly onSettled: (staged: StagedFile) => void,
    /** Named after an upload key (`openKeyed`), so `suspend` leaves it for another open. */
    readonly keyed = false,
  ) {
    this.#handle = handle;
    this.#writes = new WriteBehind(handle, blob.size);
  }

  /**
   * The upload staged under `key`: a new empty file, or the one a previous open left (appended to from
   * its end). ABORTED while another open holds it.
   */
  static async openKeyed(
    layout: Layout,
    blob: BlobRef,
    sidecar: string | undefined,
    key: string,
    onSettled: (staged: StagedFile) => void,
  ): Promise<{ staged: StagedFile; size: number }> {
    const path = keyedStagingPath(layout, blob, key);
    // A file can vanish between the two opens or before the lock is ours (its upload committed or was
    // aborted elsewhere): then it is made anew. Three rounds cover any such interleaving but a livelock.
    for (let round = 0; round < 3; round += 1) {
      const handle = await inStaging(layout, () => openExistingOrNew(path));
      if (handle === undefined) continue;
      if (!tryLock(handle.fd)) {
        await handle.close();
        throw uploadBusy();
      }
      // The same fstat that proves the name still leads here gives the size: taken under the lock, so
      // nobody appends after it.
      const opened = await stillNamed(path, handle);
      if (opened === undefined) {
        await handle.close();
        continue;
      }
      return {
        staged: new StagedFile(layout, blob, sidecar, path, handle, onSettled, true),
        size: opened.size,
      };
    }
    throw uploadBusy();
  }

  /** Reads the staged bytes from the first, through this upload's own file (positional: no seek moves). */
  async *stagedBytes(size: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const handle = this.#handle;
    if (handle === undefined) throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}`);
    for (let position = 0; position < size; ) {
      throwIfAborted(signal, OPERATION_ABORT_WORDING);
      const buffer = Buffer.allocUnsafe(Math.min(STAGED_READ_BYTES, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  static async open(
    layout: Layout,
    blob: BlobRef,
    sidecar: string | undefined,
    onSettled: (staged: StagedFile) => void,
  ): Promise<StagedFile> {
    const path = layout.stagingPath(
      `${blob.hex.slice(0, 12)}-${randomBytes(8).toString('hex')}${PARTIAL_SUFFIX}`,
    );
    const handle = await inStaging(layout, () => open(path, 'wx', FILE_MODE));
    return new StagedFile(layout, blob, sidecar, path, handle, onSettled);
  }

  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    throwIfAborted(signal, OPERATION_ABORT_WORDING);
    try {
      await this.#writes.append(chunk);
    } catch (error) {
      // Aborted while waiting for a buffer: say so rather than report the discarded write.
      this.#expectOpen();
      throw fromFilesystemError(error, this.layout.root, 'store a blob');
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
      if (await isPresent(this.layout.blobPath(this.blob.hex))) {
        // A concurrent upload of the same bytes won; its blob is as good as ours.
        await rm(this.path, { force: true });
      } else {
        const intoShard = (from: string, to: string) => this.#renameIntoShard(from, to);
        await publishSidecar(this.layout, this.blob.hex, this.sidecar, intoShard);
        await intoShard(this.path, this.layout.blobPath(this.blob.hex));
        await syncDirectory(this.layout.shardDir(this.blob.hex));
      }
      // Closed (and its lock let go) only once the staging name is gone.
      await handle.close();
      this.#state = 'committed';
      this.onSettled(this);
    } catch (error) {
      this.#state = 'failed';
      await handle.close().catch(() => undefined);
      throw fromFilesystemError(error, this.layout.root, 'store a blob');
    }
  }

  /** Writes what is buffered, then closes the file and keeps it for the next `openKeyed` of its key. */
  async suspend(): Promise<void> {
    const handle = this.#handle;
    if (this.#state !== 'open' || handle === undefined) return;
    this.#state = 'suspended';
    this.#handle = undefined;
    try {
      await this.#writes.flush();
    } catch {
      // What reached the file is what a resume finds and hashes; a lost tail is sent again.
    } finally {
      await handle.close().catch(() => undefined);
      this.onSettled(this);
    }
  }

  /** Closes the file (waiting for a write in flight) and removes it. Never throws: it runs on error paths. */
  async abort(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'aborted' || this.#state === 'committing') return;
    this.#state = 'aborted';
    const handle = this.#handle;
    this.#handle = undefined;
    await this.#writes.discard();
    // Unlinked before the close lets go of the lock, so nobody picks up what is being thrown away. If
    // this fails the file stays in .staging, where sweepStaging finds it.
    await rm(this.path, { force: true }).catch(() => undefined);
    await handle?.close().catch(() => undefined);
    this.onSettled(this);
  }

  /**
   * Renames into the blob's shard directory, making the directory only when the rename says it is missing:
   * a mkdir on every commit (with the stat Node's recursive mkdir adds) was two of the commit's dozen
   * file-system calls, for a directory that exists after the first blob of its shard.
   */
  async #renameIntoShard(from: string, to: string): Promise<void> {
    try {
      await rename(from, to);
      return;
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
    }
    // Also ENOENT when `from` is gone; the second rename then says so.
    await this.#ensureShardDirectory();
    await rename(from, to);
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

/** Staged bytes are read back in pieces this big when a resumed upload hashes them again. */
const STAGED_READ_BYTES = 1024 * 1024;

/** The staging file of an upload key: the blob's hex prefix (for people) and a digest of the key. */
export function keyedStagingPath(layout: Layout, blob: BlobRef, key: string): string {
  const keyDigest = sha256Hex(key).slice(0, 32);
  return layout.stagingPath(`${blob.hex.slice(0, 12)}-${keyDigest}${PARTIAL_SUFFIX}`);
}

/** A new file (`wx`), else the existing one opened to append; undefined if it vanished in between. */
async function openExistingOrNew(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'wx', FILE_MODE);
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw error;
  }
  try {
    return await open(path, constants.O_RDWR | constants.O_APPEND);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The open file's stat if `path` still names it (it was not committed or removed meanwhile), else
 * undefined.
 */
async function stillNamed(path: string, handle: FileHandle): Promise<Stats | undefined> {
  const [named, opened] = await Promise.all([stat(path).catch(() => undefined), handle.stat()]);
  return named !== undefined && named.ino === opened.ino && named.dev === opened.dev ? opened : undefined;
}

/**
 * Creates or opens a file in the staging directory, checking the root and making the staging directory
 * only when the open finds it missing. Checking and making them before every open cost three of an
 * upload's file-system calls (a stat of the root, Node's recursive mkdir and the stat it adds) for
 * directories that exist after the first upload. A missing root is still refused, never created.
 */
async function inStaging<T>(layout: Layout, create: () => Promise<T>): Promise<T> {
  try {
    return await create();
  } catch (error) {
    const errno = errnoOf(error);
    if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw error;
  }
  await requireRoot(layout.root);
  await mkdir(layout.stagingDir, { recursive: true, mode: DIRECTORY_MODE });
  return create();
}

function uploadBusy(): CairnError {
  return new CairnError(
    Code.Aborted,
    'another Write of this resource name is running (here or on another CAS replica); wait for it to end, then resume from QueryWriteStatus',
    { details: { reason: 'upload_busy' } },
  );
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
