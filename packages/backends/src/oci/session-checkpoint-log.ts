import { sha256Hex } from '@cairn/digest';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import type { BlobRef, HashCheckpoints } from '../core/provider.js';
import { ThrottledSaves } from '../core/throttled-saves.js';
import { checkpointManifest, type SessionCheckpoint } from './checkpoint-manifest.js';
import type { SessionCheckpoints } from './session-checkpoints.js';

/**
 * Least time between two saves, as for the cloud checkpoints (object-store/upload-checkpoint.ts). A save
 * is a manifest PUT and a DELETE of the one it replaces: once a second, not once per chunk.
 */
export const SESSION_CHECKPOINT_INTERVAL_MS = 1000;

/** Where an upload starts from: the checkpoint it continues, or the digest of a dead one it replaces. */
export type CheckpointStart =
  | { readonly continues: SessionCheckpoint; readonly digest: string }
  | { readonly replaces: string }
  | undefined;

/**
 * Saves a registry upload's checkpoint as it goes: the newest Location the registry gave after a chunk
 * ending at a multiple of the chunk size, with the hash state the caller handed over at that offset (which
 * may come before or after the PATCH's answer). Each save replaces the tag's manifest and then deletes the
 * one before, so the repository holds one checkpoint manifest per open upload.
 *
 * Every manifest that may exist — the tag's, ones replaced but not yet deleted, one whose PUT failed
 * without an answer — is kept in `manifests` until deleted and reported to `watch`, so the upload's
 * session note names them for a sweep after a crash.
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
  /** Manifests of this upload's that may exist; the newest saved is the tag's. */
  readonly #manifests = new Set<string>();
  #watcher: ((manifests: readonly string[]) => Promise<void>) | undefined;

  constructor(
    private readonly checkpoints: SessionCheckpoints,
    readonly tag: string,
    private readonly blob: BlobRef,
    chunkSize: number,
    start: CheckpointStart,
    intervalMs = SESSION_CHECKPOINT_INTERVAL_MS,
  ) {
    this.every = chunkSize;
    this.#saved = start && 'continues' in start ? start.continues.offset : 0;
    if (start) this.#manifests.add('continues' in start ? start.digest : start.replaces);
    this.#saves = new ThrottledSaves(() => this.#save(), intervalMs);
  }

  /** Bytes the last saved checkpoint covers (0: none saved). */
  get savedOffset(): number {
    return this.#saved;
  }

  /**
   * Calls `watcher` now and whenever the manifests that may exist change; a save waits for what it
   * returns before its PUT, so a manifest is on record before it can exist.
   */
  watch(watcher: (manifests: readonly string[]) => Promise<void>): void {
    this.#watcher = watcher;
    void watcher([...this.#manifests]);
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

  /** Saves no more, once the save under way ended. */
  stop(): Promise<void> {
    return this.#saves.stop();
  }

  /**
   * Stops saving and deletes every manifest of this upload's (after a commit or an abort). Throws when a
   * delete failed; what was not deleted stays in `manifests`, for the session note to keep.
   */
  async remove(): Promise<void> {
    await this.#saves.stop();
    const failure = await this.#delete([...this.#manifests], AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    if (failure !== undefined) throw failure;
  }

  async #save(): Promise<boolean> {
    if (!this.checkpoints.deletesAllowed) return false;
    const moved = this.#moved;
    const state = moved && this.#states.get(moved.offset);
    if (!moved || state === undefined || moved.offset <= this.#saved) return false;
    const manifest = checkpointManifest({
      hex: this.blob.hex,
      size: this.blob.size,
      chunkSize: this.every,
      offset: moved.offset,
      location: moved.location,
      hashState: state,
    });
    const digest = `sha256:${sha256Hex(manifest)}`;
    const replaced = [...this.#manifests];
    // On record before the PUT: one that reaches the registry just before a crash is still found.
    this.#manifests.add(digest);
    await this.#changed();
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    try {
      await this.checkpoints.write(this.tag, manifest, signal);
    } catch {
      return true; // the older checkpoint stands; the next chunk tries again
    }
    this.#saved = moved.offset;
    for (const at of this.#states.keys()) if (at <= moved.offset) this.#states.delete(at);
    // The manifests it replaced are untagged now: deleted, or the repository would keep one per save. One
    // that fails stays on record, for the next save or the removal to try again.
    await this.#delete(
      replaced.filter((old) => old !== digest),
      signal,
    );
    return true;
  }

  /** Deletes manifests, taking each deleted off the record; resolves the first failure, if any. */
  async #delete(digests: readonly string[], signal: AbortSignal): Promise<unknown> {
    let failure: unknown;
    let deleted = false;
    for (const digest of digests) {
      try {
        await this.checkpoints.remove(digest, signal);
        deleted = this.#manifests.delete(digest) || deleted;
      } catch (error) {
        failure ??= error;
      }
    }
    // The note is rewritten only when the record changed (a first save replaces nothing).
    if (deleted) await this.#changed();
    return failure;
  }

  async #changed(): Promise<void> {
    await this.#watcher?.([...this.#manifests]);
  }
}
