import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CairnError, Code } from '@cairn/errors';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import type { BlobMeta, StagedBlob, SuspendableStagedBlob } from '../core/provider.js';
import { contentTypeOf, encodeBlobMeta } from '../object-store/blob-metadata.js';
import { checkpointedView, suspendToCheckpoint } from '../object-store/checkpointed-staging.js';
import { type PartLayout, PartPipeline } from '../object-store/part-pipeline.js';
import { SinglePartStaging } from '../object-store/single-part-staging.js';
import type { CheckpointLog, UploadCheckpoint } from '../object-store/upload-checkpoint.js';
import { fromS3Error, type S3ErrorContext } from './errors.js';

/** One object to be written: where, and what to say about it. */
export interface S3ObjectTarget {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly meta: BlobMeta;
  readonly errors: S3ErrorContext;
}

/**
 * Stages an object out of sight. A blob that fits in one part is held in memory and written with one
 * PutObject at commit. A larger one becomes a multipart upload whose parts go up while the bytes stream
 * in, except the last, which is uploaded at commit, right before CompleteMultipartUpload: until then no
 * object exists under the key. Abort (and any failure, through the caller) aborts the multipart upload.
 */
export async function stageS3Object(
  target: S3ObjectTarget,
  layout: PartLayout,
  signal: AbortSignal,
): Promise<StagedBlob> {
  if (target.size <= layout.partSize) return stageOnePart(target, layout);
  return new MultipartStaging(target, layout, await createMultipartUpload(target, signal));
}

export function stageOnePart(target: S3ObjectTarget, layout: PartLayout): StagedBlob {
  return new SinglePartStaging(target.size, layout, (bytes, signal) => putObject(target, bytes, signal));
}

/**
 * A multipart upload another process can continue: each part stored is noted in the log with the hash
 * state after it. Continues `from` a checkpoint (its upload id and parts) when given one.
 */
export async function stageCheckpointedS3Object(
  target: S3ObjectTarget,
  layout: PartLayout,
  makeLog: (session: string) => CheckpointLog,
  from: UploadCheckpoint | undefined,
  signal: AbortSignal,
): Promise<SuspendableStagedBlob> {
  const uploadId = from?.session ?? (await createMultipartUpload(target, signal));
  const log = makeLog(uploadId);
  return checkpointedView(new MultipartStaging(target, layout, uploadId, log, from?.parts ?? []), log);
}

async function createMultipartUpload(target: S3ObjectTarget, signal: AbortSignal): Promise<string> {
  const created = await target.client
    .send(
      new CreateMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        ...objectHeaders(target.meta),
      }),
      { abortSignal: signal },
    )
    .catch((error: unknown) => {
      throw fromS3Error(error, target.errors);
    });
  if (!created.UploadId) {
    throw new CairnError(Code.Internal, 'the S3 server started a multipart upload without an upload id');
  }
  return created.UploadId;
}

/** PutObject of the whole blob, at commit. */
async function putObject(target: S3ObjectTarget, bytes: Buffer, signal: AbortSignal): Promise<void> {
  const { client, bucket, key, meta } = target;
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: bytes,
        ContentLength: bytes.byteLength,
        ...objectHeaders(meta),
      }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw fromS3Error(error, target.errors);
  }
}

/**
 * With a checkpoint log the upload can be suspended and continued by another process; a suspend keeps
 * the parts stored and the checkpoint after them, and gives up the part being filled.
 */
class MultipartStaging implements StagedBlob {
  readonly #pipeline: PartPipeline;
  readonly #etags: string[];
  readonly #log: CheckpointLog | undefined;
  #aborted = false;

  constructor(
    private readonly target: S3ObjectTarget,
    layout: PartLayout,
    private readonly uploadId: string,
    log?: CheckpointLog,
    storedEtags: readonly string[] = [],
  ) {
    this.#log = log;
    this.#etags = [...storedEtags];
    this.#pipeline = new PartPipeline(
      target.size,
      layout,
      (index, bytes, partSignal) => this.#uploadPart(index, bytes, partSignal),
      storedEtags.length,
    );
  }

  write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    return this.#pipeline.write(chunk, signal);
  }

  /** Leaves the upload to its checkpoint (`suspendToCheckpoint`); without a log it is aborted. */
  async suspend(): Promise<void> {
    if (this.#log === undefined) return this.abort();
    await suspendToCheckpoint(this.#pipeline, this.#log, () => this.abort());
  }

  retryFailed(): boolean {
    return this.#pipeline.retryFailed();
  }

  async commit(signal: AbortSignal): Promise<void> {
    const last = await this.#pipeline.finish(signal);
    // A concurrent upload stored the blob meanwhile: no need to replace it (on Swift, replacing a
    // multipart object would also orphan the old one's segments). The caller's abort drops our parts.
    if (await this.#alreadyStored(signal)) return this.#abortQuietly();
    await this.#uploadPart(last.index, last.bytes, signal);
    const { client, bucket, key } = this.target;
    const parts = Array.from({ length: this.#pipeline.partCount }, (_, index) => ({
      PartNumber: index + 1,
      ETag: this.#etags[index],
    }));
    try {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: parts },
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw fromS3Error(error, this.target.errors);
    }
    await this.#log?.remove().catch(() => undefined);
  }

  async abort(): Promise<void> {
    if (this.#aborted) return;
    this.#aborted = true;
    // Parts still uploading could land after the abort and linger, so they are stopped first.
    await this.#pipeline.cancel();
    await this.#log?.remove().catch(() => undefined);
    const { client, bucket, key } = this.target;
    try {
      await client.send(
        new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId }),
        {
          abortSignal: AbortSignal.timeout(CLEANUP_TIMEOUT_MS),
        },
      );
    } catch (error) {
      // Already completed or aborted: nothing is left to clean up.
      if ((error as { name?: unknown }).name === 'NoSuchUpload') return;
      throw fromS3Error(error, this.target.errors);
    }
  }

  /** The blob is stored; an upload left behind by a failed abort costs only space (see lifecycle rules). */
  async #abortQuietly(): Promise<void> {
    await this.abort().catch(() => undefined);
  }

  async #alreadyStored(signal: AbortSignal): Promise<boolean> {
    const { client, bucket, key, size } = this.target;
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      return head.ContentLength === size;
    } catch {
      return false;
    }
  }

  async #uploadPart(index: number, bytes: Buffer, signal: AbortSignal): Promise<void> {
    const { client, bucket, key } = this.target;
    try {
      const { ETag } = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: this.uploadId,
          PartNumber: index + 1,
          Body: bytes,
          ContentLength: bytes.byteLength,
        }),
        { abortSignal: signal },
      );
      if (!ETag)
        throw new CairnError(Code.Internal, `the S3 server stored part ${index + 1} without an ETag`);
      this.#etags[index] = ETag;
      this.#log?.partStored(index, ETag);
    } catch (error) {
      throw fromS3Error(error, this.target.errors);
    }
  }
}

function objectHeaders(meta: BlobMeta): { ContentType?: string; Metadata: Record<string, string> } {
  const contentType = contentTypeOf(meta);
  return {
    ...(contentType === undefined ? {} : { ContentType: contentType }),
    Metadata: encodeBlobMeta(meta),
  };
}
