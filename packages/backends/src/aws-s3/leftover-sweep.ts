import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isSha256Hex } from '@cairn/digest';
import { SWEEP_LIMIT, type SweepReport } from '../core/provider.js';
import {
  blobsPrefix,
  checkpointsPrefix,
  type ObjectLocation,
  probesPrefix,
} from '../object-store/location.js';
import { fromS3Error, type S3ErrorContext } from './errors.js';

/** The bucket and prefix to sweep, and how to reach them. */
export interface S3SweepTarget {
  readonly client: S3Client;
  readonly location: ObjectLocation;
  readonly errors: S3ErrorContext;
}

/**
 * Removes what uploads that never finished left in the bucket: multipart uploads of blob keys idle more
 * than `olderThanMs` — initiated that long ago and no part stored since, so an upload another replica
 * continued from its checkpoint a day later is not taken from under it (a crashed CAS never completed or
 * aborted them; S3 would keep their parts, and bill them, forever) — and write probes and upload
 * checkpoints that old. An S3 lifecycle rule
 * (AbortIncompleteMultipartUpload) does the first job on AWS, but not every S3-compatible server has
 * lifecycle rules (OpenStack Swift's s3api has none), so the CAS does it itself. Only keys this driver
 * writes (`<prefix>sha256/<hex>`, `<prefix>.cairn-probe/…`, `<prefix>.cairn-uploads/…`) are touched,
 * never another application's uploads in a shared bucket.
 */
export async function sweepS3Leftovers(
  target: S3SweepTarget,
  olderThanMs: number,
  signal: AbortSignal,
): Promise<SweepReport> {
  const cutoff = Date.now() - Math.max(0, olderThanMs);
  const outcome = { removed: 0, left: 0 };
  await abortOldUploads(target, cutoff, outcome, signal);
  await deleteOldObjects(target, probesPrefix(target.location), cutoff, outcome, signal);
  // A checkpoint stays fresh while its upload goes on: an old one's upload is abandoned (and aborted above).
  await deleteOldObjects(target, checkpointsPrefix(target.location), cutoff, outcome, signal);
  return outcome;
}

interface Outcome {
  removed: number;
  left: number;
}

async function abortOldUploads(
  { client, location, errors }: S3SweepTarget,
  cutoff: number,
  outcome: Outcome,
  signal: AbortSignal,
): Promise<void> {
  const blobs = blobsPrefix(location);
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await client
      .send(
        new ListMultipartUploadsCommand({
          Bucket: location.container,
          Prefix: blobs,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw fromS3Error(error, errors);
      });
    for (const upload of page.Uploads ?? []) {
      const { Key: key, UploadId: uploadId, Initiated: initiated } = upload;
      if (key === undefined || uploadId === undefined || initiated === undefined) continue;
      if (!isSha256Hex(key.slice(blobs.length)) || initiated.getTime() > cutoff) continue;
      if (outcome.removed >= SWEEP_LIMIT) return;
      try {
        if ((await lastPartStored(client, location.container, key, uploadId, signal)) > cutoff) continue;
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: location.container, Key: key, UploadId: uploadId }),
          { abortSignal: signal },
        );
        outcome.removed += 1;
      } catch (error) {
        // Completed or aborted meanwhile: nothing is left of it.
        if ((error as { name?: unknown }).name === 'NoSuchUpload') continue;
        if (signal.aborted) throw fromS3Error(error, errors);
        outcome.left += 1;
      }
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker !== undefined);
}

/** When the upload's latest part was stored (0 for none), over every page of its parts. */
async function lastPartStored(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string,
  signal: AbortSignal,
): Promise<number> {
  let latest = 0;
  let marker: string | undefined;
  do {
    const page = await client.send(
      new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }),
      { abortSignal: signal },
    );
    for (const part of page.Parts ?? []) latest = Math.max(latest, part.LastModified?.getTime() ?? 0);
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (marker !== undefined);
  return latest;
}

async function deleteOldObjects(
  { client, location, errors }: S3SweepTarget,
  prefix: string,
  cutoff: number,
  outcome: Outcome,
  signal: AbortSignal,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client
      .send(
        new ListObjectsV2Command({
          Bucket: location.container,
          Prefix: prefix,
          ContinuationToken: token,
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        throw fromS3Error(error, errors);
      });
    for (const object of page.Contents ?? []) {
      if (object.Key === undefined || (object.LastModified?.getTime() ?? cutoff + 1) > cutoff) continue;
      if (outcome.removed >= SWEEP_LIMIT) return;
      try {
        await client.send(new DeleteObjectCommand({ Bucket: location.container, Key: object.Key }), {
          abortSignal: signal,
        });
        outcome.removed += 1;
      } catch (error) {
        if (signal.aborted) throw fromS3Error(error, errors);
        outcome.left += 1;
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}
