import { settledWithin } from '../core/cancellation.js';
import type {
  BlobMeta,
  BlobRef,
  ResumableStaging,
  StagedBlob,
  SuspendableStagedBlob,
} from '../core/provider.js';
import type { ResumableSha256Factory } from '../core/resumable-sha256.js';
import type { ObjectLocation } from './location.js';
import type { PartLayout, PartPipeline } from './part-pipeline.js';
import {
  CheckpointLog,
  type CheckpointObjects,
  checkpointKey,
  readCheckpoint,
  type UploadCheckpoint,
} from './upload-checkpoint.js';

/** What S3 and Azure each give for their uploads to continue in any process from a checkpoint. */
export interface CheckpointingProvider {
  readonly location: ObjectLocation;
  readonly objects: CheckpointObjects;
  layout(blob: BlobRef): PartLayout;
  /** A blob of one part: held in memory until its commit, so it starts again elsewhere (it is one part). */
  stageOnePart(blob: BlobRef, meta: BlobMeta): StagedBlob;
  /**
   * A blob of several parts, continuing `from` a checkpoint when given one; each part stored is noted in
   * the log `makeLog` gives for the upload's session (an S3 upload id, or '' where there is none).
   */
  stageParts(
    blob: BlobRef,
    meta: BlobMeta,
    makeLog: (session: string) => CheckpointLog,
    from: UploadCheckpoint | undefined,
    signal: AbortSignal,
  ): Promise<SuspendableStagedBlob>;
}

export function checkpointedStaging(
  provider: CheckpointingProvider,
  sha: ResumableSha256Factory,
): ResumableStaging {
  const { location, objects } = provider;
  const find = (blob: BlobRef, key: string, signal: AbortSignal) =>
    readCheckpoint(objects, checkpointKey(location, key), blob, provider.layout(blob).partSize, sha, signal);
  return {
    open: async (blob, meta, key, signal) => {
      const { partSize } = provider.layout(blob);
      if (blob.size <= partSize) return { staged: provider.stageOnePart(blob, meta), size: 0 };
      const found = await find(blob, key, signal);
      const makeLog = (session: string) =>
        new CheckpointLog(
          objects,
          checkpointKey(location, key),
          { blob, partSize, session },
          found?.checkpoint,
        );
      const staged = await provider.stageParts(blob, meta, makeLog, found?.checkpoint, signal);
      return { staged, size: found?.checkpoint.offset ?? 0, before: { hash: found?.hash ?? sha.create() } };
    },
    size: async (blob, key, signal) => (await find(blob, key, signal))?.checkpoint.offset,
  };
}

/** A staging of parts (an S3 multipart upload, Azure blocks) that notes them in `log` as they are stored. */
export interface CheckpointedParts extends StagedBlob {
  retryFailed(): boolean;
  suspend(): Promise<void>;
}

/** The staged blob a checkpointed staging is to its caller: suspendable, losing what a suspend gives up. */
export function checkpointedView(staging: CheckpointedParts, log: CheckpointLog): SuspendableStagedBlob {
  return {
    write: (chunk, signal) => staging.write(chunk, signal),
    commit: (signal) => staging.commit(signal),
    abort: () => staging.abort(),
    retryFailed: () => staging.retryFailed(),
    suspend: () => staging.suspend(),
    suspendLoses: true,
    checkpoints: log,
  };
}

/**
 * Suspends a checkpointed staging: lets the parts on their way be stored, saves the checkpoint after them
 * and lets go of the rest (the part being filled). With no checkpoint saved there is nothing another
 * process could continue, and the upload is aborted instead.
 */
export async function suspendToCheckpoint(
  pipeline: Pick<PartPipeline, 'drain' | 'cancel'>,
  log: Pick<CheckpointLog, 'flush' | 'savedOffset'>,
  abort: () => Promise<void>,
): Promise<void> {
  // A part the storage server never answers must not hold the suspension, and the part buffers, for
  // ever: past the cleanup bound what is still on its way is cancelled, and the checkpoint stays before it.
  await settledWithin(pipeline.drain());
  await log.flush();
  if (log.savedOffset === 0) return abort();
  await pipeline.cancel();
}
