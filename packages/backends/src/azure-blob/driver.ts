import { randomBytes, randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { abortError, CairnError, Code } from '@cairn/errors';
import { blobNotStored } from '../core/blob-not-stored.js';
import { CLEANUP_TIMEOUT_MS, STORAGE_ABORT_WORDING } from '../core/cancellation.js';
import type {
  BlobInfo,
  BlobMeta,
  BlobRef,
  ByteRange,
  Driver,
  ResumableStaging,
  StagedBlob,
  SweepReport,
} from '../core/provider.js';
import type { ResumableSha256Factory } from '../core/resumable-sha256.js';
import { decodeBlobMeta } from '../object-store/blob-metadata.js';
import { checkpointedStaging } from '../object-store/checkpointed-staging.js';
import { blobKey, type ObjectLocation, probesPrefix } from '../object-store/location.js';
import { type PartLayout, partSizeFor } from '../object-store/part-pipeline.js';
import { emptyBody, streamBody } from '../object-store/response-body.js';
import { type CheckpointObjects, MAX_CHECKPOINT_BYTES } from '../object-store/upload-checkpoint.js';
import { blobServiceUrl, createContainerClient } from './client.js';
import type { AzureCredentials } from './credentials.js';
import {
  type AzureErrorContext,
  azureErrorCode,
  azureStatus,
  containerNotFound,
  fromAzureError,
} from './errors.js';
import { sweepAzureLeftovers } from './leftover-sweep.js';
import {
  type AzureBlobTarget,
  stageAzureBlob,
  stageCheckpointedAzureBlob,
  stageOneBlock,
} from './staged-upload.js';

/** A block blob has at most 50,000 committed blocks. */
const MAX_BLOCKS = 50_000;

export interface AzureDriverOptions {
  /** Preferred block size. Default 8 MiB. */
  readonly blockSize?: number;
  /** Blocks staged at once per blob. Default 2. */
  readonly maxBlocksInFlight?: number;
  /**
   * With it, an upload of several blocks keeps a checkpoint beside the blobs, so any process can continue
   * it (`Driver.resumable`); the provider passes it where this process can have one.
   */
  readonly resumableSha256?: ResumableSha256Factory;
}

/** Blobs as block blobs `<prefix>sha256/<hex>` in one container. */
export class AzureBlobDriver implements Driver {
  readonly #container: ContainerClient;
  readonly #location: ObjectLocation;
  readonly #errors: AzureErrorContext;
  readonly #blockSize: number;
  readonly #maxBlocksInFlight: number;
  declare readonly resumable?: ResumableStaging;

  constructor(location: ObjectLocation, credentials: AzureCredentials, options: AzureDriverOptions = {}) {
    this.#container = createContainerClient(credentials, location.container);
    this.#location = location;
    this.#errors = { container: location.container, endpoint: blobServiceUrl(credentials) };
    this.#blockSize = Math.max(options.blockSize ?? 8 * 1024 * 1024, 1024);
    this.#maxBlocksInFlight = Math.max(options.maxBlocksInFlight ?? 2, 1);
    if (options.resumableSha256) this.resumable = this.#resumableStaging(options.resumableSha256);
  }

  async stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob> {
    if (signal.aborted) throw abortError(signal, STORAGE_ABORT_WORDING);
    return stageAzureBlob(this.#target(blob, meta), this.#layout(blob));
  }

  #layout(blob: BlobRef): PartLayout {
    return {
      partSize: partSizeFor(blob.size, this.#blockSize, MAX_BLOCKS),
      maxInFlight: this.#maxBlocksInFlight,
    };
  }

  #target(blob: BlobRef, meta: BlobMeta): AzureBlobTarget {
    return { blob: this.#blobClient(blob.hex), size: blob.size, meta, errors: this.#errors };
  }

  /** Uploads of several blocks continue in any process from their checkpoint. */
  #resumableStaging(sha: ResumableSha256Factory): ResumableStaging {
    return checkpointedStaging(
      {
        location: this.#location,
        objects: this.#checkpointObjects(),
        layout: (blob) => this.#layout(blob),
        stageOnePart: (blob, meta) => stageOneBlock(this.#target(blob, meta), this.#layout(blob)),
        stageParts: async (blob, meta, makeLog, from, signal) => {
          if (signal.aborted) throw abortError(signal, STORAGE_ABORT_WORDING);
          return stageCheckpointedAzureBlob(this.#target(blob, meta), this.#layout(blob), makeLog(''), from);
        },
      },
      sha,
    );
  }

  #checkpointObjects(): CheckpointObjects {
    return {
      read: async (key, signal) => {
        try {
          const object = this.#container.getBlockBlobClient(key);
          const { contentLength = 0 } = await object.getProperties({ abortSignal: signal });
          const count = Math.min(contentLength, MAX_CHECKPOINT_BYTES + 1);
          if (count === 0) return new Uint8Array(0);
          return await object.downloadToBuffer(0, count, { abortSignal: signal });
        } catch (error) {
          if (azureStatus(error) === 404) return undefined;
          throw fromAzureError(error, this.#errors);
        }
      },
      write: async (key, body, signal) => {
        try {
          await this.#container
            .getBlockBlobClient(key)
            .upload(body, body.byteLength, { abortSignal: signal });
        } catch (error) {
          throw fromAzureError(error, this.#errors);
        }
      },
      remove: async (key, signal) => {
        try {
          await this.#container.getBlockBlobClient(key).deleteIfExists({ abortSignal: signal });
        } catch (error) {
          throw fromAzureError(error, this.#errors);
        }
      },
    };
  }

  async read(hex: string, range: ByteRange, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    if (range.length === 0) {
      if (!(await this.stat(hex, signal))) throw blobNotStored(hex);
      return emptyBody();
    }
    try {
      const response = await this.#blobClient(hex).download(range.offset, range.length, {
        abortSignal: signal,
      });
      return streamBody(response.readableStreamBody, signal, (error) => fromAzureError(error, this.#errors));
    } catch (error) {
      if (azureErrorCode(error) === 'BlobNotFound') throw blobNotStored(hex);
      throw fromAzureError(error, this.#errors);
    }
  }

  async stat(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined> {
    try {
      const properties = await this.#blobClient(hex).getProperties({ abortSignal: signal });
      return { hex, size: properties.contentLength ?? 0, ...decodeBlobMeta(properties.metadata) };
    } catch (error) {
      if (azureErrorCode(error) === 'ContainerNotFound') throw containerNotFound(this.#errors, error);
      if (azureStatus(error) === 404) return undefined;
      throw fromAzureError(error, this.#errors);
    }
  }

  /** Writes, reads back and deletes a probe blob; creates the container first if it does not exist yet. */
  async checkWriteAccess(signal: AbortSignal): Promise<void> {
    const probe = this.#container.getBlockBlobClient(`${probesPrefix(this.#location)}${randomUUID()}`);
    const bytes = randomBytes(32);
    try {
      try {
        await probe.upload(bytes, bytes.byteLength, { abortSignal: signal });
      } catch (error) {
        if (azureErrorCode(error) !== 'ContainerNotFound') throw error;
        await this.#container.createIfNotExists({ abortSignal: signal });
        await probe.upload(bytes, bytes.byteLength, { abortSignal: signal });
      }
    } catch (error) {
      throw fromAzureError(error, this.#errors);
    }
    try {
      const read = await probe.downloadToBuffer(0, bytes.byteLength, { abortSignal: signal });
      if (!read.equals(bytes)) {
        throw new CairnError(
          Code.FailedPrecondition,
          `container "${this.#location.container}" returned different bytes than were written to it; check the storage account`,
        );
      }
    } catch (error) {
      throw fromAzureError(error, this.#errors);
    } finally {
      await probe
        .deleteIfExists({ abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS) })
        .catch(() => undefined);
    }
  }

  /** Deletes uncommitted blobs and probes a crash left, once idle longer than `olderThanMs`. */
  sweepLeftovers(olderThanMs: number, signal: AbortSignal): Promise<SweepReport> {
    return sweepAzureLeftovers(
      { container: this.#container, location: this.#location, errors: this.#errors },
      olderThanMs,
      signal,
    );
  }

  async close(): Promise<void> {}

  #blobClient(hex: string) {
    return this.#container.getBlockBlobClient(blobKey(this.#location, hex));
  }
}
