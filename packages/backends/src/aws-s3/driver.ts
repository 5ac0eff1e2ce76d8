import { randomBytes, randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CairnError, Code } from '@cairn/errors';
import { blobNotStored } from '../core/blob-not-stored.js';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
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
import { createS3Client, endpointLabel } from './client.js';
import type { S3Credentials } from './credentials.js';
import { fromS3Error, httpStatus, type S3ErrorContext } from './errors.js';
import { sweepS3Leftovers } from './leftover-sweep.js';
import {
  type S3ObjectTarget,
  stageCheckpointedS3Object,
  stageOnePart,
  stageS3Object,
} from './staged-upload.js';

/** S3 allows at most 10,000 parts per multipart upload. */
const MAX_PARTS = 10_000;

export interface S3DriverOptions {
  /** Preferred part size (at least 5 MiB, S3's minimum for all parts but the last). Default 8 MiB. */
  readonly partSize?: number;
  /** Parts uploaded at once per blob. Default 2. */
  readonly maxPartsInFlight?: number;
  /**
   * With it, an upload of several parts keeps a checkpoint beside the blobs, so any process can continue
   * it (`Driver.resumable`); the provider passes it where this process can have one.
   */
  readonly resumableSha256?: ResumableSha256Factory;
}

/** Blobs as objects `<prefix>sha256/<hex>` in one bucket. */
export class S3Driver implements Driver {
  readonly #client: S3Client;
  readonly #location: ObjectLocation;
  readonly #errors: S3ErrorContext;
  readonly #partSize: number;
  readonly #maxPartsInFlight: number;
  declare readonly resumable?: ResumableStaging;

  constructor(location: ObjectLocation, credentials: S3Credentials, options: S3DriverOptions = {}) {
    this.#client = createS3Client(credentials);
    this.#location = location;
    this.#errors = { bucket: location.container, endpoint: endpointLabel(credentials) };
    this.#partSize = Math.max(options.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024);
    this.#maxPartsInFlight = Math.max(options.maxPartsInFlight ?? 2, 1);
    if (options.resumableSha256) this.resumable = this.#resumableStaging(options.resumableSha256);
  }

  stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob> {
    return stageS3Object(this.#target(blob, meta), this.#layout(blob), signal);
  }

  #layout(blob: BlobRef): PartLayout {
    return {
      partSize: partSizeFor(blob.size, this.#partSize, MAX_PARTS),
      maxInFlight: this.#maxPartsInFlight,
    };
  }

  #target(blob: BlobRef, meta: BlobMeta): S3ObjectTarget {
    return {
      client: this.#client,
      bucket: this.#location.container,
      key: blobKey(this.#location, blob.hex),
      size: blob.size,
      meta,
      errors: this.#errors,
    };
  }

  /** Uploads of several parts continue in any process from their checkpoint. */
  #resumableStaging(sha: ResumableSha256Factory): ResumableStaging {
    return checkpointedStaging(
      {
        location: this.#location,
        objects: this.#checkpointObjects(),
        layout: (blob) => this.#layout(blob),
        stageOnePart: (blob, meta) => stageOnePart(this.#target(blob, meta), this.#layout(blob)),
        stageParts: (blob, meta, makeLog, from, signal) =>
          stageCheckpointedS3Object(this.#target(blob, meta), this.#layout(blob), makeLog, from, signal),
      },
      sha,
    );
  }

  #checkpointObjects(): CheckpointObjects {
    const bucket = this.#location.container;
    return {
      read: async (key, signal) => {
        try {
          return await this.#getObject(key, signal, MAX_CHECKPOINT_BYTES + 1);
        } catch (error) {
          if (errorName(error) === 'NoSuchKey') return undefined;
          throw fromS3Error(error, this.#errors);
        }
      },
      write: async (key, body, signal) => {
        await this.#client
          .send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength }),
            {
              abortSignal: signal,
            },
          )
          .catch((error: unknown) => {
            throw fromS3Error(error, this.#errors);
          });
      },
      remove: async (key, signal) => {
        await this.#client
          .send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
          .catch((error: unknown) => {
            throw fromS3Error(error, this.#errors);
          });
      },
    };
  }

  async read(hex: string, range: ByteRange, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    if (range.length === 0) {
      if (!(await this.stat(hex, signal))) throw blobNotStored(hex);
      return emptyBody();
    }
    const end = range.length === undefined ? '' : String(range.offset + range.length - 1);
    const wholeObject = range.offset === 0 && range.length === undefined;
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#location.container,
          Key: blobKey(this.#location, hex),
          ...(wholeObject ? {} : { Range: `bytes=${range.offset}-${end}` }),
        }),
        { abortSignal: signal },
      );
      return streamBody(response.Body, signal, (error) => fromS3Error(error, this.#errors));
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') throw blobNotStored(hex);
      throw fromS3Error(error, this.#errors);
    }
  }

  async stat(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined> {
    const key = blobKey(this.#location, hex);
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#location.container, Key: key }),
        { abortSignal: signal },
      );
      return { hex, size: head.ContentLength ?? 0, ...decodeBlobMeta(head.Metadata) };
    } catch (error) {
      const status = httpStatus(error);
      if (status === 404) return undefined;
      // A HEAD answer has no body, so it cannot say why access was refused; a GET of one byte can.
      if (status === 403) throw await this.#explainRefusal(key, signal, error);
      throw fromS3Error(error, this.#errors);
    }
  }

  async checkWriteAccess(signal: AbortSignal): Promise<void> {
    const key = `${probesPrefix(this.#location)}${randomUUID()}`;
    const probe = randomBytes(32);
    const bucket = this.#location.container;
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: probe, ContentLength: probe.byteLength }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw fromS3Error(error, this.#errors);
    }
    try {
      if (!(await this.#getObject(key, signal)).equals(probe)) {
        throw new CairnError(
          Code.FailedPrecondition,
          `bucket "${bucket}" returned different bytes than were written to it; check the S3 server`,
        );
      }
    } catch (error) {
      throw fromS3Error(error, this.#errors);
    } finally {
      await this.#client
        .send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), {
          abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
        })
        .catch(() => undefined);
    }
  }

  /** Aborts multipart uploads and deletes probes a crash left, once older than `olderThanMs`. */
  sweepLeftovers(olderThanMs: number, signal: AbortSignal): Promise<SweepReport> {
    return sweepS3Leftovers(
      { client: this.#client, location: this.#location, errors: this.#errors },
      olderThanMs,
      signal,
    );
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  /** A small object, whole, or its first `atMost` bytes. */
  async #getObject(key: string, signal: AbortSignal, atMost?: number): Promise<Buffer> {
    const range = atMost === undefined ? {} : { Range: `bytes=0-${atMost - 1}` };
    const response = await this.#client.send(
      new GetObjectCommand({ Bucket: this.#location.container, Key: key, ...range }),
      { abortSignal: signal },
    );
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamBody(response.Body, signal, (error) => fromS3Error(error, this.#errors)))
      chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async #explainRefusal(key: string, signal: AbortSignal, headError: unknown): Promise<CairnError> {
    try {
      await this.#client.send(
        new GetObjectCommand({ Bucket: this.#location.container, Key: key, Range: 'bytes=0-0' }),
        { abortSignal: signal },
      );
    } catch (error) {
      return fromS3Error(error, this.#errors);
    }
    return fromS3Error(headError, this.#errors);
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
