import { randomUUID } from 'node:crypto';
import type { BlobHTTPHeaders, BlockBlobClient } from '@azure/storage-blob';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import type { BlobMeta, StagedBlob, SuspendableStagedBlob } from '../core/provider.js';
import { contentTypeOf, encodeBlobMeta } from '../object-store/blob-metadata.js';
import { checkpointedView, suspendToCheckpoint } from '../object-store/checkpointed-staging.js';
import { type PartLayout, PartPipeline } from '../object-store/part-pipeline.js';
import { SinglePartStaging } from '../object-store/single-part-staging.js';
import type { CheckpointLog, UploadCheckpoint } from '../object-store/upload-checkpoint.js';
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
  return target.size <= layout.partSize ? stageOneBlock(target, layout) : new BlockStaging(target, layout);
}

export function stageOneBlock(target: AzureBlobTarget, layout: PartLayout): StagedBlob {
  return new SinglePartStaging(target.size, layout, (bytes, signal) => putBlob(target, bytes, signal));
}

/**
 * Blocks another process can continue: each block staged is noted in `log` with the hash state after it.
 * Continues `from` a checkpoint (the blocks it lists, staged by the process that wrote it) when given one.
 */
export function stageCheckpointedAzureBlob(
  target: AzureBlobTarget,
  layout: PartLayout,
  log: CheckpointLog,
  from: UploadCheckpoint | undefined,
): SuspendableStagedBlob {
  return checkpointedView(new BlockStaging(target, layout, log, from?.parts ?? []), log);
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
  /**
   * Distinguishes this upload's blocks from those of a concurrent upload of the same blob, and from those
   * of the process whose checkpoint it continues (so neither overwrites the other's).
   */
  readonly #uploadTag = randomUUID().replaceAll('-', '');
  /** Ids of the blocks before the checkpoint this upload continues from. */
  readonly #storedIds: readonly string[];
  readonly #log: CheckpointLog | undefined;
  #staged: boolean;
  #aborted = false;

  constructor(
    private readonly target: AzureBlobTarget,
    layout: PartLayout,
    log?: CheckpointLog,
    storedIds: readonly string[] = [],
  ) {
    this.#log = log;
    this.#storedIds = storedIds;
    this.#staged = storedIds.length > 0;
    this.#pipeline = new PartPipeline(
      target.size,
      layout,
      (index, bytes, signal) => this.#stageBlock(index, bytes, signal),
      storedIds.length,
    );
  }

  /** Leaves the upload to its checkpoint (`suspendToCheckpoint`); without a log it is aborted. */
  async suspend(): Promise<void> {
    if (this.#log === undefined) return this.abort();
    await suspendToCheckpoint(this.#pipeline, this.#log, () => this.abort());
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
      await this.#log?.remove().catch(() => undefined);
      return;
    } catch (error) {
      // A concurrent upload that committed first discards every uncommitted block, ours included.
      const lostRace =
        isAlreadyCommitted(error) ||
        (azureErrorCode(error) === 'InvalidBlockList' && (await this.#alreadyCommitted(signal)));
      if (!lostRace) throw fromAzureError(error, this.target.errors);
    }
    // The verified blob is there; what we staged after its commit lingers on it, uncommitted.
    await this.#log?.remove().catch(() => undefined);
    await discardUncommittedBlocks(this.target.blob, AbortSignal.timeout(CLEANUP_TIMEOUT_MS)).catch(
      () => undefined,
    );
  }

  async abort(): Promise<void> {
    if (this.#aborted) return;
    this.#aborted = true;
    await this.#pipeline.cancel();
    await this.#log?.remove().catch(() => undefined);
    if (!this.#staged) return;
    try {
      // Only a blob holding nothing but our own blocks is deleted. Blocks taken over from a checkpoint may
      // still be their writer's (a client that drove two replicas at once): deleting them could race that
      // writer's commit and delete a blob it was told is stored. They are the leftover sweep's once idle.
      await discardStagedBlocks(
        this.target.blob,
        (id) => tagOf(id) === this.#uploadTag,
        AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
      );
    } catch (error) {
      throw fromAzureError(error, this.target.errors);
    }
  }

  async #stageBlock(index: number, bytes: Buffer, signal: AbortSignal): Promise<void> {
    this.#staged = true;
    const blockId = this.#blockId(index);
    try {
      await this.target.blob.stageBlock(blockId, bytes, bytes.byteLength, { abortSignal: signal });
    } catch (error) {
      throw fromAzureError(error, this.target.errors);
    }
    this.#log?.partStored(index, blockId);
  }

  async #alreadyCommitted(signal: AbortSignal): Promise<boolean> {
    try {
      const properties = await this.target.blob.getProperties({ abortSignal: signal });
      return properties.contentLength === this.target.size;
    } catch {
      return false;
    }
  }

  /**
   * Block ids must all have the same length within a blob: the upload's tag and a six-digit index. The
   * blocks before a checkpoint keep the ids their process gave them.
   */
  #blockId(index: number): string {
    return (
      this.#storedIds[index] ??
      Buffer.from(`${this.#uploadTag}-${String(index).padStart(6, '0')}`).toString('base64')
    );
  }
}

function tagOf(blockId: string): string {
  return Buffer.from(blockId, 'base64').toString().split('-')[0] ?? '';
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
