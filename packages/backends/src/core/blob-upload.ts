import { createHash, type Hash } from 'node:crypto';
import { abortError, CairnError, Code } from '@cairn/errors';
import { OPERATION_ABORT_WORDING } from './cancellation.js';
import type { BlobRef, ResumedStage, StagedBlob, SuspendableStagedBlob } from './provider.js';

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
  readonly #hash: Hash = createHash('sha256');
  #received = 0;
  #state: UploadState = 'open';
  #commit: Promise<void> | undefined;
  #verified = false;

  constructor(
    readonly blob: BlobRef,
    private readonly staged: StagedBlob,
  ) {}

  /**
   * An upload continuing what is staged already (in any process): the staged bytes are hashed again, so
   * the digest check at `finish` covers every byte whoever received it. Aborted if they are more than
   * the blob declares, which a key naming the blob's size rules out unless the staging was tampered with.
   */
  static async resumed(blob: BlobRef, resumed: ResumedStage, signal: AbortSignal): Promise<BlobUpload> {
    const upload = new BlobUpload(blob, resumed.staged);
    if (resumed.size === 0) return upload;
    try {
      for await (const chunk of resumed.stagedBytes(signal)) {
        upload.#hash.update(chunk);
        upload.#received += chunk.byteLength;
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
    return 'suspend' in this.staged;
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
    this.#hash.update(chunk);
    this.#received += chunk.byteLength;
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
      const actual = this.#hash.digest('hex');
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
    if (!this.resumable) return this.abort();
    this.#state = 'suspended';
    await (this.staged as SuspendableStagedBlob).suspend();
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
