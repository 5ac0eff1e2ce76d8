import { randomUUID } from 'node:crypto';
import type { BlobHTTPHeaders, BlockBlobClient } from '@azure/storage-blob';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import type { BlobMeta, StagedBlob } from '../core/provider.js';
import { contentTypeOf, encodeBlobMeta } from '../object-store/blob-metadata.js';
import { type PartLayout, PartPipeline } from '../object-store/part-pipeline.js';
import { SinglePartStaging } from '../object-store/single-part-staging.js';
import { type AzureErrorContext, azureErrorCode, azureStatus, fromAzureError } from './errors.js';
import { discardStagedBlocks, discardUncommittedBlocks } from './uncommitted-blocks.js';

/** One block blob to be written: where, and what to say about it. */
export interface AzureBlobTarget {
  readonly blob: BlockBlobClient;
  readonly size: number;
  readonly meta: BlobMeta;
  readonly errors: AzureErrorContext;
}

/**
 * Stages a block blob out of sight. A blob that fits in one block is held in memory and written with one
 * Put Blob at commit. A larger one is staged block by block while the bytes stream in (uncommitted blocks
 * are invisible to reads and ordinary listings) and made visible by Put Block List at commit. Both
 * commits carry If-None-Match: * so an existing blob is never replaced; the 409 a concurrent committer
 * causes means the verified blob is there, which is success. Block ids carry a random tag per upload, so
 * concurrent uploads of one blob never overwrite each other's blocks; what an upload staged and did not
 * commit is discarded as `uncommitted-blocks.ts` describes.
 */
export function stageAzureBlob(target: AzureBlobTarget, layout: PartLayout): StagedBlob {
  return target.size <= layout.partSize
    ? new SinglePartStaging(target.size, layout, (bytes, signal) => putBlob(target, bytes, signal))
    : new BlockStaging(target, layout);
}

/** Put Blob of the whole blob, at commit; one a concurrent upload committed first is success. */
async function putBlob(target: AzureBlobTarget, bytes: Buffer, signal: AbortSignal): Promise<void> {
  try {
    await target.blob.upload(bytes, bytes.byteLength, {
      conditions: { ifNoneMatch: '*' },
      ...blobHeaders(target.meta),
      abortSignal: signal,
    });
  } catch (error) {
    if (isAlreadyCommitted(error)) return;
    throw fromAzureError(error, target.errors);
  }
}

class BlockStaging implements StagedBlob {
  readonly #pipeline: PartPipeline;
  /** Distinguishes this upload's blocks from those of a concurrent upload of the same blob. */
  readonly #uploadTag = randomUUID().replaceAll('-', '');
  #staged = false;
  #aborted = false;

  constructor(
    private readonly target: AzureBlobTarget,
    layout: PartLayout,
  ) {
    this.#pipeline = new PartPipeline(target.size, layout, (index, bytes, signal) =>
      this.#stageBlock(index, bytes, signal),
    );
  }

  write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    return this.#pipeline.write(chunk, signal);
  }

  retryFailed(): boolean {
    return this.#pipeline.retryFailed();
  }

  async commit(signal: AbortSignal): Promise<void> {
    const last = await this.#pipeline.finish(signal);
    // A concurrent upload committed the blob meanwhile: our blocks only need discarding.
    if (await this.#alreadyCommitted(signal)) {
      // The blob is stored; blocks a failed cleanup leaves behind expire within a week.
      await this.abort().catch(() => undefined);
      return;
    }
    await this.#stageBlock(last.index, last.bytes, signal);
    const blockIds = Array.from({ length: this.#pipeline.partCount }, (_, index) => this.#blockId(index));
    try {
      await this.target.blob.commitBlockList(blockIds, {
        conditions: { ifNoneMatch: '*' },
        ...blobHeaders(this.target.meta),
        abortSignal: signal,
      });
      return;
    } catch (error) {
      // A concurrent upload that committed first discards every uncommitted block, ours included.
      const lostRace =
        isAlreadyCommitted(error) ||
        (azureErrorCode(error) === 'InvalidBlockList' && (await this.#alreadyCommitted(signal)));
      if (!lostRace) throw fromAzureError(error, this.target.errors);
    }
    // The verified blob is there; what we staged after its commit lingers on it, uncommitted.
    await discardUncommittedBlocks(this.target.blob, AbortSignal.timeout(CLEANUP_TIMEOUT_MS)).catch(
      () => undefined,
    );
  }

  async abort(): Promise<void> {
    if (this.#aborted) return;
    this.#aborted = true;
    await this.#pipeline.cancel();
    if (!this.#staged) return;
    try {
      await discardStagedBlocks(
        this.target.blob,
        (id) => this.#isOurs(id),
        AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
      );
    } catch (error) {
      throw fromAzureError(error, this.target.errors);
    }
  }

  async #stageBlock(index: number, bytes: Buffer, signal: AbortSignal): Promise<void> {
    this.#staged = true;
    try {
      await this.target.blob.stageBlock(this.#blockId(index), bytes, bytes.byteLength, {
        abortSignal: signal,
      });
    } catch (error) {
      throw fromAzureError(error, this.target.errors);
    }
  }

  async #alreadyCommitted(signal: AbortSignal): Promise<boolean> {
    try {
      const properties = await this.target.blob.getProperties({ abortSignal: signal });
      return properties.contentLength === this.target.size;
    } catch {
      return false;
    }
  }

  /** Block ids must all have the same length within a blob: the upload's tag and a six-digit index. */
  #blockId(index: number): string {
    return Buffer.from(`${this.#uploadTag}-${String(index).padStart(6, '0')}`).toString('base64');
  }

  #isOurs(blockId: string): boolean {
    return Buffer.from(blockId, 'base64').toString().startsWith(`${this.#uploadTag}-`);
  }
}

function isAlreadyCommitted(error: unknown): boolean {
  return azureStatus(error) === 409 && azureErrorCode(error) === 'BlobAlreadyExists';
}

function blobHeaders(meta: BlobMeta): { blobHTTPHeaders: BlobHTTPHeaders; metadata: Record<string, string> } {
  const contentType = contentTypeOf(meta);
  return {
    blobHTTPHeaders: contentType === undefined ? {} : { blobContentType: contentType },
    metadata: encodeBlobMeta(meta),
  };
}
