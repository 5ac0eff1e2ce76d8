import { sha256Hex } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';
// zod/mini: the CLI reaches this module through the provider registry, and full zod costs it start-up time.
import * as z from 'zod/mini';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import type { BlobRef, HashCheckpoints } from '../core/provider.js';
import type { ResumableSha256, ResumableSha256Factory } from '../core/resumable-sha256.js';
import { ThrottledSaves } from '../core/throttled-saves.js';
import type { OciClient } from './client.js';
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
const TAG_PREFIX = 'cairn-upload-';
const TAG_PATTERN = /^cairn-upload-[0-9a-f]{64}$/;

/**
 * Least time between two saves, as for the cloud checkpoints (object-store/upload-checkpoint.ts). A save
 * is a manifest PUT and a DELETE of the one it replaces: once a second, not once per chunk.
 */
export const SESSION_CHECKPOINT_INTERVAL_MS = 1000;

/** The tag of an upload's checkpoint: a hash of its resume key, which names the organisation and upload. */
export function checkpointTag(resumeKey: string): string {
  return `${TAG_PREFIX}${sha256Hex(resumeKey)}`;
}

export function isCheckpointTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
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
 * Checkpoints kept as tagged manifests in the client's repository. A registry that refuses to delete
 * manifests (delete turned off, or a credential without the right) would keep every checkpoint replaced
 * and every one left at the end; after the first refusal no more are saved, and uploads go on without.
 */
export class SessionCheckpoints {
  #deletesRefused = false;

  constructor(
    private readonly client: OciClient,
    /** Pushes the empty config blob every checkpoint manifest names, once per repository. */
    private readonly ensureEmptyConfig: (signal: AbortSignal) => Promise<void>,
  ) {}

  /** The checkpoint under `tag` and its manifest's digest, or undefined when there is none of Cairn's. */
  async read(
    tag: string,
    signal: AbortSignal,
  ): Promise<{ checkpoint: SessionCheckpoint; digest: string } | undefined> {
    let found: Awaited<ReturnType<OciClient['getManifest']>>;
    try {
      found = await this.client.getManifest(tag, OCI_IMAGE_MANIFEST, signal);
    } catch (error) {
      // A manifest too large to be ours is no checkpoint; the upload starts again.
      if (error instanceof CairnError && error.code === Code.FailedPrecondition) return undefined;
      throw error;
    }
    if (found === undefined) return undefined;
    const checkpoint = parseCheckpointManifest(found.bytes);
    if (checkpoint === undefined || !this.#isOwnSession(checkpoint.location)) return undefined;
    return { checkpoint, digest: `sha256:${sha256Hex(found.bytes)}` };
  }

  /** Saves `checkpoint` under `tag`; resolves the digest of its manifest. */
  async write(tag: string, checkpoint: SessionCheckpoint, signal: AbortSignal): Promise<string> {
    await this.ensureEmptyConfig(signal);
    const bytes = checkpointManifest(checkpoint);
    await this.client.putManifest(tag, OCI_IMAGE_MANIFEST, bytes, signal);
    return `sha256:${sha256Hex(bytes)}`;
  }

  /** Whether checkpoints are kept: false once the registry refused to delete one. */
  get kept(): boolean {
    return !this.#deletesRefused;
  }

  /** Deletes a checkpoint's manifest (and so its tag); one already gone, or a registry refusing deletes, is fine. */
  async remove(digest: string, signal: AbortSignal): Promise<void> {
    try {
      await this.client.deleteManifest(digest, signal);
    } catch (error) {
      if (error instanceof CairnError && [Code.Unimplemented, Code.PermissionDenied].includes(error.code)) {
        this.#deletesRefused = true;
        return;
      }
      throw error;
    }
  }

  /**
   * Removes the checkpoint under `tag` when it is the one of the session a sweep dealt with, found at
   * `location`: with `sessionEnded` (cancelled, or gone), any checkpoint of that session; otherwise only
   * one still naming that very Location, so a checkpoint another process moved on since stays, as does
   * one saved for another session of the same upload. Resolves whether it removed one.
   */
  async removeIfOf(
    tag: string,
    location: string,
    sessionEnded: boolean,
    signal: AbortSignal,
  ): Promise<boolean> {
    const found = await this.read(tag, signal);
    if (found === undefined) return false;
    const saved = found.checkpoint.location;
    const same = sessionEnded ? sessionPath(saved) === sessionPath(location) : saved === location;
    if (same) await this.remove(found.digest, signal);
    return same;
  }

  /**
   * Whether a Location read from the repository names an upload session of this repository on this
   * registry: a checkpoint edited by someone else must never send the registry credentials elsewhere.
   */
  #isOwnSession(location: string): boolean {
    const { origin, repository } = this.client.location;
    try {
      const url = new URL(location);
      return (
        url.origin === new URL(origin).origin && url.pathname.startsWith(`/v2/${repository}/blobs/uploads/`)
      );
    } catch {
      return false;
    }
  }
}

/** A session's Location without its query (distribution's `_state` changes at every PATCH). */
function sessionPath(location: string): string | undefined {
  try {
    const url = new URL(location);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * A checkpoint that fits `blob` uploaded in chunks of `chunkSize`, with a hash continuing from it; undefined
 * when it does not fit (another blob's, another chunk size, a state that did not hash exactly its bytes).
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

/**
 * Saves a registry upload's checkpoint as it goes: the newest Location the registry gave after a chunk
 * ending at a multiple of the chunk size, with the hash state the caller handed over at that offset (which
 * may come before or after the PATCH's answer). A save replaces the previous one and then deletes its
 * manifest, so the repository holds one checkpoint manifest per open upload.
 *
 * Only a checkpoint naming the session's newest Location can be continued: distribution 2.8 refuses an
 * older one. So a checkpoint is useful after a suspend, which flushes once the last PATCH answered, or
 * after a crash between chunks; a crash that cuts a PATCH leaves a session nobody can address.
 */
export class SessionCheckpointLog implements HashCheckpoints {
  readonly every: number;
  readonly #states = new Map<number, Uint8Array>();
  readonly #saves: ThrottledSaves;
  #moved: { offset: number; location: string } | undefined;
  #saved: number;
  /** Digest of the newest checkpoint manifest under the tag that this upload knows of. */
  #digest: string | undefined;

  constructor(
    private readonly checkpoints: SessionCheckpoints,
    readonly tag: string,
    private readonly blob: BlobRef,
    chunkSize: number,
    /** The checkpoint under the tag: the one this upload continues, or only the digest of one it replaces. */
    from?: { readonly checkpoint?: SessionCheckpoint; readonly digest: string },
    intervalMs = SESSION_CHECKPOINT_INTERVAL_MS,
  ) {
    this.every = chunkSize;
    this.#saved = from?.checkpoint?.offset ?? 0;
    this.#digest = from?.digest;
    this.#saves = new ThrottledSaves(() => this.#save(), intervalMs);
  }

  /** Bytes the last saved checkpoint covers (0: none saved). */
  get savedOffset(): number {
    return this.#saved;
  }

  hashStateAt(offset: number, state: Uint8Array): void {
    if (offset <= this.#saved || offset >= this.blob.size) return;
    this.#states.set(offset, state);
    this.#saves.request();
  }

  /** The registry holds `offset` bytes now, and the session continues at `location`. */
  moved(offset: number, location: string): void {
    this.#moved = { offset, location };
    this.#saves.request();
  }

  /** Saves what is due now and waits for the saves under way. */
  flush(): Promise<void> {
    return this.#saves.flush();
  }

  /** Stops saving and deletes the checkpoint (after a commit or an abort), once the save under way ended. */
  async remove(): Promise<void> {
    await this.#saves.stop();
    if (this.#digest !== undefined) {
      await this.checkpoints.remove(this.#digest, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    }
  }

  async #save(): Promise<boolean> {
    if (!this.checkpoints.kept) return false;
    const moved = this.#moved;
    const state = moved && this.#states.get(moved.offset);
    if (!moved || state === undefined || moved.offset <= this.#saved) return false;
    const checkpoint: SessionCheckpoint = {
      hex: this.blob.hex,
      size: this.blob.size,
      chunkSize: this.every,
      offset: moved.offset,
      location: moved.location,
      hashState: state,
    };
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    let digest: string;
    try {
      digest = await this.checkpoints.write(this.tag, checkpoint, signal);
    } catch {
      return true; // the older checkpoint stands; the next chunk tries again
    }
    this.#saved = moved.offset;
    for (const at of this.#states.keys()) if (at <= moved.offset) this.#states.delete(at);
    const replaced = this.#digest;
    this.#digest = digest;
    // The manifest it replaced is untagged now: removed, or the repository would keep one per save.
    if (replaced !== undefined && replaced !== digest) {
      await this.checkpoints.remove(replaced, signal).catch(() => undefined);
    }
    return true;
  }
}
