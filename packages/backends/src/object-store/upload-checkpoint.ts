import { sha256Hex } from '@cairn/digest';
// zod/mini: the CLI reaches this module through the provider registry, and full zod costs it start-up time.
import * as z from 'zod/mini';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import type { BlobRef, HashCheckpoints } from '../core/provider.js';
import type { ResumableSha256, ResumableSha256Factory } from '../core/resumable-sha256.js';
import { ThrottledSaves } from '../core/throttled-saves.js';
import { checkpointsPrefix, type ObjectLocation } from './location.js';

/**
 * What another process needs to continue a cloud upload: the parts stored so far, in order, and the hash
 * state after their bytes. Saved as a small object beside the blobs, replaced as parts are stored.
 */
export interface UploadCheckpoint {
  readonly hex: string;
  readonly size: number;
  readonly partSize: number;
  /** Bytes the stored parts hold: `parts.length * partSize`. */
  readonly offset: number;
  /** The provider's handle on the upload (an S3 multipart upload id; '' where there is none). */
  readonly session: string;
  /** One handle per stored part (S3 ETags, Azure block ids). */
  readonly parts: readonly string[];
  readonly hashState: Uint8Array;
}

/**
 * The most a checkpoint object may hold: 4 MiB, far above the 10,000 ETags of an S3 upload's parts (about
 * 0.4 MiB) or Azure's 50,000 block ids (about 3 MiB). A larger object there is not one of ours: it is
 * not read whole, and the upload starts again (and saves its own checkpoint over it).
 */
export const MAX_CHECKPOINT_BYTES = 4 * 1024 * 1024;

/** The small objects checkpoints are kept in, by the provider's own requests. */
export interface CheckpointObjects {
  /** The object, or its first MAX_CHECKPOINT_BYTES + 1 bytes when it is larger; undefined when there is none. */
  read(key: string, signal: AbortSignal): Promise<Uint8Array | undefined>;
  write(key: string, body: Uint8Array, signal: AbortSignal): Promise<void>;
  remove(key: string, signal: AbortSignal): Promise<void>;
}

/** An upload's checkpoint key: a hash of its resume key, which names the organisation and the upload. */
export function checkpointKey(location: ObjectLocation, resumeKey: string): string {
  return `${checkpointsPrefix(location)}${sha256Hex(resumeKey)}`;
}

const stored = z.strictObject({
  version: z.literal(1),
  hex: z.string(),
  size: z.int().check(z.nonnegative()),
  partSize: z.int().check(z.positive()),
  offset: z.int().check(z.positive()),
  session: z.string(),
  parts: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
  hashState: z.base64(),
});

/**
 * A checkpoint for `blob` in parts of `partSize`, with a hash that continues from it; undefined when none
 * is stored or the stored one does not fit (another blob's, another part size, a state that did not hash
 * exactly its bytes): the upload then starts again, and what the old one stored waits for the sweep.
 */
export async function readCheckpoint(
  objects: CheckpointObjects,
  key: string,
  blob: BlobRef,
  partSize: number,
  sha: ResumableSha256Factory,
  signal: AbortSignal,
): Promise<{ checkpoint: UploadCheckpoint; hash: ResumableSha256 } | undefined> {
  const body = await objects.read(key, signal);
  if (body === undefined || body.byteLength > MAX_CHECKPOINT_BYTES) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = stored.safeParse(raw);
  if (!parsed.success) return undefined;
  const { version: _, ...found } = parsed.data;
  const fits =
    found.hex === blob.hex &&
    found.size === blob.size &&
    found.partSize === partSize &&
    found.offset === found.parts.length * partSize &&
    found.offset < blob.size;
  if (!fits) return undefined;
  const hashState = Buffer.from(found.hashState, 'base64');
  const hash = sha.resume(hashState, found.offset);
  return hash === undefined ? undefined : { checkpoint: { ...found, hashState }, hash };
}

/**
 * Least time between two saves of one upload's checkpoint, unless the upload is being suspended. Why: a
 * save per 8 MiB part cost 8.4 s of CPU per GiB uploaded to Swift (its proxy and object servers handle
 * each small PUT; bench:backends, gRPC uploads 0.65 of direct against 0.77 without the saves). Once a
 * second, a crash costs the client at most about a second of sending more than the part being filled.
 */
export const CHECKPOINT_INTERVAL_MS = 1000;

/**
 * Saves an upload's checkpoint as its parts are stored: the furthest point up to which every part is
 * stored and the caller handed over the hash state (parts may be stored out of order, and the state may
 * come before or after its part), at most once per `intervalMs` until `flush`. One save runs at a time,
 * the newest wins; a failed save only leaves an older checkpoint, which is still a consistent one.
 */
export class CheckpointLog implements HashCheckpoints {
  readonly every: number;
  readonly #parts: string[];
  readonly #states = new Map<number, Uint8Array>();
  readonly #saves: ThrottledSaves;
  #saved: number;

  constructor(
    private readonly objects: CheckpointObjects,
    private readonly key: string,
    private readonly base: { readonly blob: BlobRef; readonly partSize: number; readonly session: string },
    from?: UploadCheckpoint,
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    this.every = base.partSize;
    this.#parts = [...(from?.parts ?? [])];
    this.#saved = from?.offset ?? 0;
    this.#saves = new ThrottledSaves(() => this.#save(), intervalMs);
  }

  /** Bytes the last saved checkpoint covers (0: none saved). */
  get savedOffset(): number {
    return this.#saved;
  }

  /** Handles of the parts before the checkpoint this upload continued from, for the commit. */
  part(index: number): string | undefined {
    return this.#parts[index];
  }

  partStored(index: number, handle: string): void {
    this.#parts[index] = handle;
    this.#saves.request();
  }

  hashStateAt(offset: number, state: Uint8Array): void {
    if (offset <= this.#saved || offset >= this.base.blob.size) return;
    this.#states.set(offset, state);
    this.#saves.request();
  }

  /** Saves what is due now, whenever the last save was, and waits for the saves under way. */
  flush(): Promise<void> {
    return this.#saves.flush();
  }

  /** Stops saving and deletes the checkpoint (after a commit or an abort), once the save under way ended. */
  async remove(): Promise<void> {
    await this.#saves.stop();
    await this.objects.remove(this.key, AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
  }

  /** Writes the furthest checkpoint due; true when it tried (a failed write, too, waits for the interval). */
  async #save(): Promise<boolean> {
    const offset = this.#furthest();
    const state = this.#states.get(offset);
    if (offset <= this.#saved || state === undefined) return false;
    const count = offset / this.every;
    const body = JSON.stringify({
      version: 1,
      hex: this.base.blob.hex,
      size: this.base.blob.size,
      partSize: this.base.partSize,
      offset,
      session: this.base.session,
      parts: this.#parts.slice(0, count),
      hashState: Buffer.from(state).toString('base64'),
    });
    try {
      await this.objects.write(this.key, Buffer.from(body), AbortSignal.timeout(CLEANUP_TIMEOUT_MS));
    } catch {
      return true; // the older checkpoint stands; the next stored part tries again
    }
    this.#saved = offset;
    for (const at of this.#states.keys()) if (at <= offset) this.#states.delete(at);
    return true;
  }

  /** The furthest multiple of the part size below which every part is stored and whose state is known. */
  #furthest(): number {
    let best = this.#saved;
    for (let index = this.#saved / this.every; this.#parts[index] !== undefined; index += 1) {
      const end = (index + 1) * this.every;
      if (this.#states.has(end)) best = end;
    }
    return best;
  }
}
