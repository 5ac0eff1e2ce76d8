import { abortError, CairnError, Code } from '@cairn/errors';
import { STORAGE_ABORT_WORDING } from '../core/cancellation.js';

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
 * commit, i.e. only after the whole blob was verified. Memory stays within (maxInFlight + 1) parts, plus
 * the parts of one chunk.
 *
 * A part the server did not store is kept, not dropped: after `retryFailed` the next `write` or `finish`
 * sends it again, so an upload survives a storage server that was away for a moment without the client
 * sending a byte twice. `write` takes a whole chunk or, when it throws, none of it, so the caller can
 * count and hash exactly what was taken.
 */
export class PartPipeline {
  readonly partCount: number;
  readonly #totalSize: number;
  readonly #partSize: number;
  readonly #maxInFlight: number;
  readonly #upload: PartUploader;
  readonly #cancel = new AbortController();
  readonly #inFlight = new Set<Promise<void>>();
  /** Full parts not on their way: waiting for room, or refused by the server and waiting for a retry. */
  readonly #waiting: Array<{ readonly index: number; readonly bytes: Buffer }> = [];
  /**
   * Part buffers whose upload finished, for the next parts: fresh 8 MiB buffers for every part made the
   * garbage collector do most of the work and held memory until it did.
   */
  readonly #free: Buffer[] = [];
  #current: Buffer | undefined;
  #filled = 0;
  /** The index of the part being filled. */
  #index = 0;
  #received = 0;
  #failure: { error: unknown } | undefined;

  /**
   * `firstPart`: the parts before it are stored already (an upload continued from a checkpoint), so the
   * bytes written start at `firstPart * partSize`.
   */
  constructor(totalSize: number, layout: PartLayout, upload: PartUploader, firstPart = 0) {
    this.#totalSize = totalSize;
    this.#partSize = layout.partSize;
    this.#maxInFlight = layout.maxInFlight;
    this.#upload = upload;
    this.partCount = Math.max(1, Math.ceil(totalSize / layout.partSize));
    if (!Number.isSafeInteger(firstPart) || firstPart < 0 || firstPart >= this.partCount) {
      throw new CairnError(Code.Internal, `part ${firstPart} is not one of the ${this.partCount} parts`);
    }
    this.#index = firstPart;
    this.#received = firstPart * layout.partSize;
  }

  /**
   * Takes the next bytes; resolves once every full part is on its way (at most maxInFlight at once).
   * Throws, having taken nothing, when a part failed since the last `retryFailed`.
   */
  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#throwIfFailed();
    if (this.#received + chunk.byteLength > this.#totalSize) {
      throw new CairnError(Code.Internal, `more bytes were staged than the declared ${this.#totalSize}`);
    }
    // Parts kept from a failure go first.
    for (this.#sendWaiting(); this.#waiting.length > 0; this.#sendWaiting()) await this.#settleOne(signal);
    // From here on nothing waits or throws: the chunk is taken whole.
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
        this.#waiting.push({ index: this.#index, bytes: part });
        this.#index += 1;
        this.#current = undefined;
      }
    }
    // Backpressure: a part that filled waits for room before the write resolves. A part failing meanwhile
    // is reported by the next call, not this one, which took its chunk; a cancel still ends it.
    for (this.#sendWaiting(); this.#waiting.length > 0 && !this.#failure; this.#sendWaiting()) {
      if (signal.aborted) throw abortError(signal, STORAGE_ABORT_WORDING);
      await Promise.race(this.#inFlight);
      if (this.#cancel.signal.aborted) throw this.#cancel.signal.reason;
    }
  }

  /**
   * Waits until every part but the last is stored and hands back the last, held-back part. Called again
   * after a failure and `retryFailed`, it sends what failed and hands back the same last part.
   */
  async finish(signal: AbortSignal): Promise<{ index: number; bytes: Buffer }> {
    this.#throwIfFailed();
    if (this.#received !== this.#totalSize) {
      throw new CairnError(
        Code.Internal,
        `staged ${this.#received} of the declared ${this.#totalSize} bytes`,
      );
    }
    for (this.#sendWaiting(); this.#inFlight.size > 0; this.#sendWaiting()) await this.#settleOne(signal);
    this.#throwIfFailed();
    const bytes = this.#currentPart();
    return { index: this.#index, bytes: bytes.subarray(0, this.#filled) };
  }

  /**
   * After a failed part: clears the failure so the parts the server did not store go again with the next
   * `write` or `finish`. False once the upload was cancelled.
   */
  retryFailed(): boolean {
    if (this.#cancel.signal.aborted) return false;
    this.#failure = undefined;
    this.#waiting.sort((a, b) => a.index - b.index);
    return true;
  }

  /** Waits until the parts on their way are stored or failed, sending no other; failures are kept. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops parts still on their way and waits until none is left running. */
  async cancel(): Promise<void> {
    this.#cancel.abort(new CairnError(Code.Canceled, 'the upload was aborted'));
    this.#current = undefined;
    this.#free.length = 0;
    this.#waiting.length = 0;
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

  /** Starts waiting parts while there is room and nothing failed. */
  #sendWaiting(): void {
    while (this.#failure === undefined && this.#inFlight.size < this.#maxInFlight) {
      const part = this.#waiting.shift();
      if (part === undefined) return;
      this.#dispatch(part.index, part.bytes);
    }
  }

  #dispatch(index: number, part: Buffer): void {
    // Bound to the pipeline, not to a write: a part outlives the call that filled it (a client may
    // resume the upload on a new stream), and `cancel` is what stops it.
    const task: Promise<void> = this.#upload(index, part, this.#cancel.signal).then(
      () => {
        this.#inFlight.delete(task);
        // Only a full-size part goes back: a shorter one is the last, never followed by another.
        if (part.byteLength === this.#partSize) this.#free.push(part);
      },
      (error: unknown) => {
        this.#inFlight.delete(task);
        if (this.#cancel.signal.aborted) return;
        this.#waiting.push({ index, bytes: part });
        this.#failure ??= { error };
      },
    );
    this.#inFlight.add(task);
  }

  async #settleOne(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw abortError(signal, STORAGE_ABORT_WORDING);
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
