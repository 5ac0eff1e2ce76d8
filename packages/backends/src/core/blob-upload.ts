import { createHash, type Hash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { abortError } from './abort.js';
import type { BlobRef } from './digest.js';
import type { StagedBlob } from './provider.js';

/**
 * `open`: takes writes. `writing`: a write is in flight (a second one is refused, bytes must stay in order).
 * `committing`: digest and size matched and the driver is making the blob visible. `committed` and `aborted`
 * are final.
 */
export type UploadState = 'open' | 'writing' | 'committing' | 'committed' | 'aborted';

/**
 * One blob on its way in. Bytes are hashed before the driver sees them; more bytes than declared is
 * refused at once; `finish` commits only when size and digest match, and aborts otherwise.
 */
export class BlobUpload {
  readonly #hash: Hash = createHash('sha256');
  #received = 0;
  #state: UploadState = 'open';
  #commit: Promise<void> | undefined;

  constructor(
    readonly blob: BlobRef,
    private readonly staged: StagedBlob,
  ) {}

  /** Bytes taken so far; where a resumed upload continues. */
  get received(): number {
    return this.#received;
  }

  get state(): UploadState {
    return this.#state;
  }

  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    if (signal.aborted) return this.#failWith(abortError(signal));
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
    this.#hash.update(chunk);
    this.#received += chunk.byteLength;
    this.#state = 'writing';
    try {
      await this.staged.write(chunk, signal);
    } catch (error) {
      return this.#failWith(signal.aborted ? abortError(signal) : error);
    } finally {
      if (this.#state === 'writing') this.#state = 'open';
    }
  }

  async finish(signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    if (signal.aborted) return this.#failWith(abortError(signal));
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
    this.#state = 'committing';
    this.#commit = this.staged.commit(signal);
    try {
      await this.#commit;
      this.#state = 'committed';
    } catch (error) {
      this.#state = 'open';
      return this.#failWith(signal.aborted ? abortError(signal) : error);
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
    if (this.#state === 'committed' || this.#state === 'aborted') return;
    this.#state = 'aborted';
    await this.staged.abort();
  }

  async #failWith(error: unknown): Promise<never> {
    await this.abort();
    throw CairnError.from(error);
  }

  #expectOpen(): void {
    if (this.#state !== 'open') {
      throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}; start a new one`);
    }
  }
}
