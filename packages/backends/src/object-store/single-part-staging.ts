import { CairnError, Code } from '@cairn/errors';
import type { StagedBlob } from '../core/provider.js';
import { type PartLayout, PartPipeline } from './part-pipeline.js';

/**
 * A blob that fits in one part: held in memory (one bounded buffer) and written with one request at
 * commit, after verification. `put` is the provider's single write (PutObject, Put Blob); a commit it
 * failed with the server away is tried again with the same bytes.
 */
export class SinglePartStaging implements StagedBlob {
  readonly #pipeline: PartPipeline;

  constructor(
    size: number,
    layout: PartLayout,
    private readonly put: (bytes: Buffer, signal: AbortSignal) => Promise<void>,
  ) {
    this.#pipeline = new PartPipeline(size, layout, () => {
      throw new CairnError(Code.Internal, 'a blob of one part has no part to send early');
    });
  }

  write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    return this.#pipeline.write(chunk, signal);
  }

  retryFailed(): boolean {
    return this.#pipeline.retryFailed();
  }

  async commit(signal: AbortSignal): Promise<void> {
    const { bytes } = await this.#pipeline.finish(signal);
    await this.put(bytes, signal);
  }

  async abort(): Promise<void> {
    await this.#pipeline.cancel();
  }
}
