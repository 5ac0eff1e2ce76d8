import type { BlobItem, ContainerClient } from '@azure/storage-blob';
import { isSha256Hex } from '@cairn/digest';
import { SWEEP_LIMIT, type SweepReport } from '../core/provider.js';
import {
  blobsPrefix,
  checkpointsPrefix,
  type ObjectLocation,
  probesPrefix,
} from '../object-store/location.js';
import { MAX_CHECKPOINT_BYTES } from '../object-store/upload-checkpoint.js';
import { type AzureErrorContext, azureErrorCode, azureStatus, fromAzureError } from './errors.js';

/** The container and prefix to sweep, and how to reach them. */
export interface AzureSweepTarget {
  readonly container: ContainerClient;
  readonly location: ObjectLocation;
  readonly errors: AzureErrorContext;
}

interface Outcome {
  removed: number;
  left: number;
}

/**
 * Removes what uploads that never finished left in the container: blobs of nothing but uncommitted blocks
 * (a crashed CAS staged them and never committed the block list) idle more than `olderThanMs`, and write
 * probes and upload checkpoints that old. Azure itself drops uncommitted blocks a week after the last Put Block on the blob;
 * Azurite never does, and a week is long for blocks of up to 8 MiB each, so the CAS does it itself.
 *
 * A blob counts as uncommitted when it is listed with uncommitted blobs but not without them (the two
 * listings, both in name order, are walked side by side), and it is deleted only if it still has no
 * committed version right before (as `discardStagedBlocks` does; conditional headers do not apply to a
 * blob that has none: Azurite answers an If-Match on one 412). A commit could land between that check
 * and the delete only from an upload idle longer than the age, far past any resume window. Uncommitted
 * blocks on a committed blob (left only when a crash hit an upload racing a finished one) are left to
 * Azure's week.
 */
export async function sweepAzureLeftovers(
  target: AzureSweepTarget,
  olderThanMs: number,
  signal: AbortSignal,
): Promise<SweepReport> {
  const cutoff = Date.now() - Math.max(0, olderThanMs);
  const outcome: Outcome = { removed: 0, left: 0 };
  try {
    await deleteUncommittedBlobs(target, cutoff, outcome, signal);
    await deleteOldObjects(target, probesPrefix(target.location), cutoff, outcome, signal);
    // A checkpoint stays fresh while its upload goes on: an old one's blocks are abandoned (deleted above).
    await deleteOldObjects(target, checkpointsPrefix(target.location), cutoff, outcome, signal);
  } catch (error) {
    // A container no upload reached yet holds nothing to sweep.
    if (azureErrorCode(error) === 'ContainerNotFound') return outcome;
    throw fromAzureError(error, target.errors);
  }
  return outcome;
}

async function deleteUncommittedBlobs(
  { container, location }: AzureSweepTarget,
  cutoff: number,
  outcome: Outcome,
  signal: AbortSignal,
): Promise<void> {
  const prefix = blobsPrefix(location);
  const continued = await continuedUploads(container, location, cutoff, signal);
  const committed = container.listBlobsFlat({ prefix, abortSignal: signal })[Symbol.asyncIterator]();
  let next = await committed.next();
  for await (const blob of container.listBlobsFlat({
    prefix,
    includeUncommitedBlobs: true,
    abortSignal: signal,
  })) {
    while (!next.done && next.value.name < blob.name) next = await committed.next();
    if (!next.done && next.value.name === blob.name) continue;
    const hex = blob.name.slice(prefix.length);
    if (!isSha256Hex(hex) || !idleSince(blob, cutoff) || continued.has(hex)) continue;
    if (outcome.removed >= SWEEP_LIMIT) return;
    await deleteIfUncommitted(container, blob.name, outcome, signal);
  }
}

/**
 * The blobs whose uploads saved a checkpoint since the cutoff. An uncommitted blob is listed with the time
 * of its first block (Put Block does not change it, on Azurite at least), so a blob that another replica
 * goes on feeding from its checkpoint would look idle; its checkpoint, saved as the parts are, does not.
 */
async function continuedUploads(
  container: ContainerClient,
  location: ObjectLocation,
  cutoff: number,
  signal: AbortSignal,
): Promise<Set<string>> {
  const hexes = new Set<string>();
  for await (const item of container.listBlobsFlat({
    prefix: checkpointsPrefix(location),
    abortSignal: signal,
  })) {
    const size = item.properties.contentLength ?? 0;
    if (idleSince(item, cutoff) || size === 0 || size > MAX_CHECKPOINT_BYTES) continue;
    try {
      const body = await container
        .getBlockBlobClient(item.name)
        .downloadToBuffer(0, size, { abortSignal: signal });
      const { hex } = JSON.parse(body.toString('utf8')) as { hex?: unknown };
      if (typeof hex === 'string' && isSha256Hex(hex)) hexes.add(hex);
    } catch (error) {
      // Gone since it was listed, or not a checkpoint of ours: it protects nothing.
      if (signal.aborted) throw error;
    }
  }
  return hexes;
}

async function deleteOldObjects(
  { container }: AzureSweepTarget,
  prefix: string,
  cutoff: number,
  outcome: Outcome,
  signal: AbortSignal,
): Promise<void> {
  for await (const blob of container.listBlobsFlat({ prefix, abortSignal: signal })) {
    if (!idleSince(blob, cutoff)) continue;
    if (outcome.removed >= SWEEP_LIMIT) return;
    await deleteIfUnchanged(container, blob, outcome, signal);
  }
}

function idleSince(blob: BlobItem, cutoff: number): boolean {
  return blob.properties.lastModified.getTime() <= cutoff;
}

async function deleteIfUncommitted(
  container: ContainerClient,
  name: string,
  outcome: Outcome,
  signal: AbortSignal,
): Promise<void> {
  const blob = container.getBlockBlobClient(name);
  try {
    if (await blob.exists({ abortSignal: signal })) return;
    await blob.delete({ abortSignal: signal });
    outcome.removed += 1;
  } catch (error) {
    if (azureStatus(error) === 404) return;
    if (signal.aborted) throw error;
    outcome.left += 1;
  }
}

/** Deletes a committed blob if its ETag is still the one listed. */
async function deleteIfUnchanged(
  container: ContainerClient,
  blob: BlobItem,
  outcome: Outcome,
  signal: AbortSignal,
): Promise<void> {
  const etag = blob.properties.etag;
  try {
    await container.getBlockBlobClient(blob.name).delete({
      ...(etag ? { conditions: { ifMatch: etag } } : {}),
      abortSignal: signal,
    });
    outcome.removed += 1;
  } catch (error) {
    // Gone already, or rewritten since it was listed: not a leftover now.
    const status = azureStatus(error);
    if (status === 404 || status === 412) return;
    if (signal.aborted) throw error;
    outcome.left += 1;
  }
}
