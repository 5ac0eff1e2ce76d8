import { CairnError, Code } from '@cairn/errors';
import { abortReason } from './abort.js';

/** Uploads one numbered part (index from 0) of a blob being staged; rejects if the part was not stored. */
export type PartUploader = (index: number, bytes: Buffer, signal: AbortSignal) => Promise<void>;

export interface PartLayout {
  /** Bytes in every part but the last. */
  readonly partSize: number;
  /** Parts uploaded at once at most; writes wait while that many are on their way. */
  readonly maxInFlight: number;
}

/**
 * Cuts a blob of known size into fixed-size parts and uploads every part but the last while the bytes
 * stream in; the last part is held back for `finish`, so the caller can store it together with the
 * commit, i.e. only after the whole blob was verified. Memory stays within (maxInFlight + 1) parts.
 */
export class PartPipeline {
  readonly partCount: number;
  readonly #totalSize: number;
  readonly #partSize: number;
  readonly #maxInFlight: number;
  readonly #upload: PartUploader;
  readonly #cancel = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  /**
   * Part buffers whose upload finished, for the next parts: fresh 8 MiB buffers for every part made the
   * garbage collector do most of the work and held memory until it did.
   */
  readonly #free: Buffer[] = [];
  #current: Buffer | undefined;
  #filled = 0;
  #index = 0;
  #received = 0;
  #failure: { error: unknown } | undefined;

  constructor(totalSize: number, layout: PartLayout, upload: PartUploader) {
    this.#totalSize = totalSize;
    this.#partSize = layout.partSize;
    this.#maxInFlight = layout.maxInFlight;
    this.#upload = upload;
    this.partCount = Math.max(1, Math.ceil(totalSize / layout.partSize));
  }

  /** Takes the next bytes; resolves once they are copied and the number of parts on their way is bounded. */
  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#throwIfFailed();
    if (this.#received + chunk.byteLength > this.#totalSize) {
      throw new CairnError(Code.Internal, `more bytes were staged than the declared ${this.#totalSize}`);
    }
    this.#received += chunk.byteLength;
    let offset = 0;
    while (offset < chunk.byteLength) {
      const part = this.#currentPart();
      const copied = Buffer.from(chunk.buffer, chunk.byteOffset + offset, chunk.byteLength - offset).copy(
        part,
        this.#filled,
      );
      this.#filled += copied;
      offset += copied;
      if (this.#filled === part.byteLength && this.#index < this.partCount - 1) {
        await this.#dispatch(part, signal);
      }
      // `cancel` may run while this write waited for room.
      this.#throwIfFailed();
    }
  }

  /** Waits for every part sent so far and hands back the last, held-back part. */
  async finish(signal: AbortSignal): Promise<{ index: number; bytes: Buffer }> {
    while (this.#inFlight.size > 0) await this.#settleOne(signal);
    this.#throwIfFailed();
    if (this.#received !== this.#totalSize) {
      throw new CairnError(
        Code.Internal,
        `staged ${this.#received} of the declared ${this.#totalSize} bytes`,
      );
    }
    const bytes = this.#current ?? Buffer.alloc(0);
    this.#current = undefined;
    return { index: this.#index, bytes };
  }

  /** Stops parts still on their way and waits until none is left running. */
  async cancel(): Promise<void> {
    this.#cancel.abort(new CairnError(Code.Canceled, 'the upload was aborted'));
    this.#current = undefined;
    this.#free.length = 0;
    await Promise.allSettled([...this.#inFlight]);
  }

  #currentPart(): Buffer {
    if (!this.#current) {
      const start = this.#index * this.#partSize;
      const size = Math.min(this.#partSize, this.#totalSize - start);
      const reused = this.#free.pop();
      this.#current = reused ? reused.subarray(0, size) : Buffer.allocUnsafe(size);
      this.#filled = 0;
    }
    return this.#current;
  }

  async #dispatch(part: Buffer, signal: AbortSignal): Promise<void> {
    while (this.#inFlight.size >= this.#maxInFlight) await this.#settleOne(signal);
    this.#throwIfFailed();
    const index = this.#index;
    this.#index += 1;
    this.#current = undefined;
    // Bound to the pipeline, not to this write: a part outlives the call that filled it (a client may
    // resume the upload on a new stream), and `cancel` is what stops it.
    const task: Promise<void> = this.#upload(index, part, this.#cancel.signal).then(
      () => {
        this.#inFlight.delete(task);
        // Only a full-size part goes back: a shorter one is the last, never followed by another.
        if (part.byteLength === this.#partSize) this.#free.push(part);
      },
      (error: unknown) => {
        this.#inFlight.delete(task);
        this.#failure ??= { error };
      },
    );
    this.#inFlight.add(task);
  }

  async #settleOne(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortReason(signal);
    await Promise.race(this.#inFlight);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#cancel.signal.aborted) throw this.#cancel.signal.reason;
    if (this.#failure) throw this.#failure.error;
  }
}

/**
 * The part size for a blob: `preferred`, or larger when the service's part-count limit would otherwise be
 * exceeded (rounded up to whole MiB).
 */
export function partSizeFor(totalSize: number, preferred: number, maxParts: number): number {
  const needed = Math.ceil(totalSize / maxParts);
  if (needed <= preferred) return preferred;
  const mib = 1024 * 1024;
  return Math.ceil(needed / mib) * mib;
}
