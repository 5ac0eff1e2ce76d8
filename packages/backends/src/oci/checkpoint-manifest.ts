import { sha256Hex } from '@cairn/digest';
// zod/mini: the CLI reaches this module through the provider registry, and full zod costs it start-up time.
import * as z from 'zod/mini';
import type { BlobRef } from '../core/provider.js';
import type { ResumableSha256, ResumableSha256Factory } from '../core/resumable-sha256.js';
import { EMPTY_CONFIG, OCI_IMAGE_MANIFEST } from './manifest.js';

/**
 * Where a registry upload session stands, for another process to continue it: the session's newest
 * `Location`, the bytes the registry holds, and the hash state after them. A registry lists no upload
 * sessions, so the checkpoint is kept in the repository itself, as a small artifact manifest under a tag
 * named after the upload (see `checkpointTag`); its bytes are an annotation, so it needs no blob of its own.
 */
export interface SessionCheckpoint {
  readonly hex: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly offset: number;
  readonly location: string;
  readonly hashState: Uint8Array;
}

export const CHECKPOINT_ARTIFACT_TYPE = 'application/vnd.cairn.upload-checkpoint.v1';
const CHECKPOINT_ANNOTATION = 'dev.cairn.upload-checkpoint';

/** The tag of an upload's checkpoint: a hash of its resume key, which names the organisation and upload. */
export function checkpointTag(resumeKey: string): string {
  return `cairn-upload-${sha256Hex(resumeKey)}`;
}

const stored = z.strictObject({
  version: z.literal(1),
  hex: z.string(),
  size: z.int().check(z.nonnegative()),
  chunkSize: z.int().check(z.positive()),
  offset: z.int().check(z.positive()),
  location: z.string(),
  hashState: z.base64(),
});

/** The checkpoint's manifest: the empty config, no layers, the checkpoint as an annotation. */
export function checkpointManifest(checkpoint: SessionCheckpoint): Uint8Array {
  const { hashState, ...rest } = checkpoint;
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_IMAGE_MANIFEST,
    artifactType: CHECKPOINT_ARTIFACT_TYPE,
    config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
    layers: [],
    annotations: {
      [CHECKPOINT_ANNOTATION]: JSON.stringify({
        version: 1,
        ...rest,
        hashState: Buffer.from(hashState).toString('base64'),
      }),
    },
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}

/** What `checkpointManifest` wrote, or undefined for anything else (a foreign or damaged manifest). */
export function parseCheckpointManifest(bytes: Uint8Array): SessionCheckpoint | undefined {
  try {
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as {
      artifactType?: unknown;
      annotations?: Record<string, unknown>;
    };
    const text =
      manifest.artifactType === CHECKPOINT_ARTIFACT_TYPE && manifest.annotations?.[CHECKPOINT_ANNOTATION];
    if (typeof text !== 'string') return undefined;
    const parsed = stored.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const { version: _, hashState, ...rest } = parsed.data;
    return { ...rest, hashState: Buffer.from(hashState, 'base64') };
  } catch {
    return undefined;
  }
}

/**
 * A hash continuing from `checkpoint` for `blob` uploaded in chunks of `chunkSize`; undefined when the
 * checkpoint does not fit (another blob's, another chunk size, a state that did not hash exactly its bytes).
 */
export function resumeFrom(
  checkpoint: SessionCheckpoint,
  blob: BlobRef,
  chunkSize: number,
  sha: ResumableSha256Factory,
): ResumableSha256 | undefined {
  const fits =
    checkpoint.hex === blob.hex &&
    checkpoint.size === blob.size &&
    checkpoint.chunkSize === chunkSize &&
    checkpoint.offset % chunkSize === 0 &&
    checkpoint.offset < blob.size;
  return fits ? sha.resume(checkpoint.hashState, checkpoint.offset) : undefined;
}
