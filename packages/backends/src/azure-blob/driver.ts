import { randomBytes, randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { CairnError, Code } from '@cairn/errors';
import type { BlobRef } from '../core/digest.js';
import type { BlobInfo, BlobMeta, ByteRange, Driver, StagedBlob } from '../core/provider.js';
import { abortReason, CLEANUP_TIMEOUT_MS } from '../object-store/abort.js';
import { decodeBlobMeta } from '../object-store/blob-metadata.js';
import { blobKey, type ObjectLocation } from '../object-store/location.js';
import { partSizeFor } from '../object-store/part-pipeline.js';
import { streamBody } from '../object-store/response-body.js';
import { createContainerClient } from './client.js';
import { type AzureCredentials, blobServiceUrl } from './credentials.js';
import {
  type AzureErrorContext,
  azureErrorCode,
  azureStatus,
  containerNotFound,
  fromAzureError,
} from './errors.js';
import { stageAzureBlob } from './staged-blob.js';

/** A block blob has at most 50,000 committed blocks. */
const MAX_BLOCKS = 50_000;

export interface AzureDriverOptions {
  /** Preferred block size. Default 8 MiB. */
  readonly blockSize?: number;
  /** Blocks staged at once per blob. Default 2. */
  readonly maxBlocksInFlight?: number;
}

/** Blobs as block blobs `<prefix>sha256/<hex>` in one container. */
export class AzureBlobDriver implements Driver {
  readonly #container: ContainerClient;
  readonly #location: ObjectLocation;
  readonly #errors: AzureErrorContext;
  readonly #blockSize: number;
  readonly #maxBlocksInFlight: number;

  constructor(location: ObjectLocation, credentials: AzureCredentials, options: AzureDriverOptions = {}) {
    this.#container = createContainerClient(credentials, location.container);
    this.#location = location;
    this.#errors = { container: location.container, endpoint: blobServiceUrl(credentials) };
    this.#blockSize = Math.max(options.blockSize ?? 8 * 1024 * 1024, 1024);
    this.#maxBlocksInFlight = Math.max(options.maxBlocksInFlight ?? 2, 1);
  }

  async stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob> {
    if (signal.aborted) throw abortReason(signal);
    const layout = {
      partSize: partSizeFor(blob.size, this.#blockSize, MAX_BLOCKS),
      maxInFlight: this.#maxBlocksInFlight,
    };
    return stageAzureBlob(
      { blob: this.#blobClient(blob.hex), size: blob.size, meta, errors: this.#errors },
      layout,
    );
  }

  async read(hex: string, range: ByteRange, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    if (range.length === 0) {
      if (!(await this.stat(hex, signal))) throw notStored(hex);
      return emptyBody();
    }
    try {
      const response = await this.#blobClient(hex).download(range.offset, range.length, {
        abortSignal: signal,
      });
      return streamBody(response.readableStreamBody, signal, (error) => fromAzureError(error, this.#errors));
    } catch (error) {
      if (azureErrorCode(error) === 'BlobNotFound') throw notStored(hex);
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
    const probe = this.#container.getBlockBlobClient(`${this.#location.prefix}.cairn-probe/${randomUUID()}`);
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

  async close(): Promise<void> {}

  #blobClient(hex: string) {
    return this.#container.getBlockBlobClient(blobKey(this.#location, hex));
  }
}

function notStored(hex: string): CairnError {
  return new CairnError(Code.NotFound, `blob sha256:${hex} is not stored in this backend; upload it first`);
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}
