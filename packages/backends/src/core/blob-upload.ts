import { createHash } from 'node:crypto';
import { abortError, CairnError, Code } from '@cairn/errors';
import { OPERATION_ABORT_WORDING } from './cancellation.js';
import { type BlobRef, isSuspendable, type ResumedStage, type StagedBlob } from './provider.js';
import type { ResumableSha256 } from './resumable-sha256.js';

/** The running digest of an upload: node's own, or one that can hand its state over (checkpoints). */
type RunningHash = { update(bytes: Uint8Array): unknown; digestHex(): string };

function nodeSha256(): RunningHash {
  const hash = createHash('sha256');
  return { update: (bytes) => hash.update(bytes), digestHex: () => hash.digest('hex') };
}

/**
 * `open`: takes writes. `writing`: a write is in flight (a second one is refused, bytes must stay in order).
 * `committing`: digest and size matched and the driver is making the blob visible. `committed`, `aborted`
 * and `suspended` (left staged for another process to continue) are final.
 */
export type UploadState = 'open' | 'writing' | 'committing' | 'committed' | 'aborted' | 'suspended';

/**
 * One blob on its way in. Bytes are hashed before the driver sees them; more bytes than declared is
 * refused at once; `finish` commits only when size and digest match, and aborts otherwise.
 */
export class BlobUpload {
  readonly #hash: RunningHash;
  /** Set when the driver checkpoints: the same hash as `#hash`, whose state it is handed. */
  readonly #resumableHash: ResumableSha256 | undefined;
  #received = 0;
  #state: UploadState = 'open';
  #commit: Promise<void> | undefined;
  #verified = false;

  constructor(
    readonly blob: BlobRef,
    private readonly staged: StagedBlob,
    hash?: ResumableSha256,
  ) {
    if (staged.checkpoints && !hash) throw new Error('a staged blob that checkpoints needs a resumable hash');
    this.#resumableHash = hash;
    this.#hash = hash ?? nodeSha256();
    this.#received = hash?.bytesHashed ?? 0;
  }

  /**
   * An upload continuing what is staged already (in any process): the staged bytes are hashed again, or
   * the hash continues from the state saved with them, so the digest check at `finish` covers every byte
   * whoever received it. Aborted if they are more than the blob declares, which a key naming the blob's
   * size rules out unless the staging was tampered with.
   */
  static async resumed(blob: BlobRef, resumed: ResumedStage, signal: AbortSignal): Promise<BlobUpload> {
    const { before } = resumed;
    const upload = new BlobUpload(blob, resumed.staged, before && 'hash' in before ? before.hash : undefined);
    if (resumed.size === 0 && upload.#received === 0) return upload;
    try {
      if (before && 'stagedBytes' in before) {
        for await (const chunk of before.stagedBytes(signal)) {
          upload.#hash.update(chunk);
          upload.#received += chunk.byteLength;
        }
      }
      if (upload.#received !== resumed.size || upload.#received > blob.size) {
        throw new CairnError(
          Code.DataLoss,
          `the staged upload held ${upload.#received} bytes where ${resumed.size} were expected (at most ${blob.size}); it was discarded, start the upload again`,
        );
      }
    } catch (error) {
      await upload.abort();
      throw CairnError.from(error);
    }
    return upload;
  }

  /** Whether `suspend` keeps the staged bytes for another process to continue. */
  get resumable(): boolean {
    return isSuspendable(this.staged);
  }

  /** Whether a `suspend` now would give up bytes taken (see `SuspendableStagedBlob.suspendLoses`). */
  get suspendLoses(): boolean {
    return isSuspendable(this.staged) && this.staged.suspendLoses === true;
  }

  /** Bytes taken so far; where a resumed upload continues. */
  get received(): number {
    return this.#received;
  }

  get state(): UploadState {
    return this.#state;
  }

  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    if (signal.aborted) return this.#failWith(abortError(signal, OPERATION_ABORT_WORDING));
    if (chunk.byteLength === 0) return;
    if (this.#received + chunk.byteLength > this.blob.size) {
      return this.#failWith(
        new CairnError(
          Code.InvalidArgument,
          `received more than the declared ${this.blob.size} bytes; declare the blob's real size`,
          { details: { reason: 'size_mismatch' } },
        ),
      );
    }
    this.#state = 'writing';
    try {
      await this.staged.write(chunk, signal);
    } catch (error) {
      if (this.#state === 'writing') this.#state = 'open';
      return this.#failWith(signal.aborted ? abortError(signal, OPERATION_ABORT_WORDING) : error);
    }
    if (this.#state === 'writing') this.#state = 'open';
    // Counted once the driver took the chunk: after a failure it may keep the upload going from here.
    try {
      this.#hashTaken(chunk);
    } catch (error) {
      // The driver holds bytes the hash may not have counted: nothing can continue from here.
      await this.abort();
      throw CairnError.from(error);
    }
  }

  /** Hashes a chunk the driver took, handing the hash state over at every checkpoint it crosses. */
  #hashTaken(chunk: Uint8Array): void {
    const checkpoints = this.staged.checkpoints;
    const hash = this.#resumableHash;
    if (!checkpoints || !hash) {
      this.#hash.update(chunk);
      this.#received += chunk.byteLength;
      return;
    }
    for (let at = 0; at < chunk.byteLength; ) {
      const piece = Math.min(checkpoints.every - (this.#received % checkpoints.every), chunk.byteLength - at);
      hash.update(chunk.subarray(at, at + piece));
      this.#received += piece;
      at += piece;
      if (this.#received % checkpoints.every === 0)
        checkpoints.hashStateAt(this.#received, hash.exportState());
    }
  }

  async finish(signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    if (signal.aborted) return this.#failWith(abortError(signal, OPERATION_ABORT_WORDING));
    if (!this.#verified) {
      if (this.#received !== this.blob.size) {
        return this.#failWith(
          new CairnError(
            Code.InvalidArgument,
            `received ${this.#received} bytes but ${this.blob.size} were declared; send the whole blob`,
            { details: { reason: 'size_mismatch' } },
          ),
        );
      }
      const actual = this.#hash.digestHex();
      if (actual !== this.blob.hex) {
        return this.#failWith(
          new CairnError(
            Code.InvalidArgument,
            `the bytes hash to sha256:${actual}, not the declared sha256:${this.blob.hex}; nothing was stored`,
            { details: { reason: 'digest_mismatch' } },
          ),
        );
      }
      // A commit that fails with the storage server away may be tried again; the hash is spent.
      this.#verified = true;
    }
    this.#state = 'committing';
    this.#commit = this.staged.commit(signal);
    try {
      await this.#commit;
      this.#state = 'committed';
    } catch (error) {
      this.#state = 'open';
      return this.#failWith(signal.aborted ? abortError(signal, OPERATION_ABORT_WORDING) : error);
    }
  }

  /**
   * Discards what was staged. Idempotent. Once verification passed and the commit is under way it is too
   * late to take the blob back (it is correct anyway), so abort then waits for the commit to settle.
   */
  async abort(): Promise<void> {
    if (this.#state === 'committing') {
      await this.#commit?.catch(() => undefined);
      return;
    }
    if (this.#state === 'committed' || this.#state === 'aborted' || this.#state === 'suspended') return;
    this.#state = 'aborted';
    await this.staged.abort();
  }

  /**
   * Stops taking writes and leaves what is staged for the next upload of the same key, in this process or
   * another; for an upload that cannot be continued elsewhere, the same as `abort`.
   */
  async suspend(): Promise<void> {
    if (this.#state !== 'open') return this.abort();
    if (!isSuspendable(this.staged)) return this.abort();
    this.#state = 'suspended';
    await this.staged.suspend();
  }

  /**
   * Aborts, unless the storage server could not be reached and the driver keeps what it did not store:
   * then the upload stays open, and the next write (or finish) of a resumed Write sends it again.
   */
  async #failWith(error: unknown): Promise<never> {
    const failure = CairnError.from(error);
    if (failure.code === Code.Unavailable && this.#state === 'open' && this.staged.retryFailed?.() === true) {
      throw failure;
    }
    await this.abort();
    throw failure;
  }

  #expectOpen(): void {
    if (this.#state !== 'open') {
      throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}; start a new one`);
    }
  }
}
