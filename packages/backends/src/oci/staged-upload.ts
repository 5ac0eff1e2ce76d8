import { awaitUnlessAborted, CairnError, Code } from '@cairn/errors';
import { settledWithin } from '../core/cancellation.js';
import type { BlobMeta, BlobRef, StagedBlob, SuspendableStagedBlob } from '../core/provider.js';
import { type OciClient, UploadRangeError } from './client.js';
import { evidenceManifest, evidenceTag, OCI_IMAGE_MANIFEST } from './manifest.js';
import type { SessionCheckpointLog } from './session-checkpoint-log.js';
import type { SessionJournal, SessionNote } from './session-journal.js';

const EMPTY = new Uint8Array(0);
/** How long one PATCH of at most one chunk may take, whatever the caller's signal does. */
const PATCH_TIMEOUT_MS = 5 * 60_000;
const CANCEL_TIMEOUT_MS = 30_000;

/**
 * One blob on its way into a registry, as an upload session. Bytes are gathered into chunks of at most
 * `chunkSize` and PATCHed in order while the next chunk fills, so at most two chunks are held in memory.
 * Commit PATCHes the rest and closes the session with an empty PUT naming the digest; only then, and
 * only after the caller verified the bytes, is the manifest tagged, which makes the blob visible.
 *
 * A PATCH is never cut short by the caller's signal: distribution 2.8 keeps the part of a cut PATCH it
 * received, after which no `Location` the client holds can address the session, not even to cancel it.
 * So a cancelled caller stops waiting at once, and `abort` lets the PATCH in flight (one chunk at most)
 * finish before it cancels the session under its newest `Location`.
 *
 * With a journal, the session's newest `Location` is also noted on disk while it is open (see
 * session-journal.ts), so a sweep after a crash can cancel it; the note goes once the session is
 * finished or cancelled, and stays when cancelling failed, for the sweep to try again.
 *
 * With a checkpoint log (`openCheckpointed`), the session's newest Location after each whole chunk is
 * saved with the hash state there (see session-checkpoint-log.ts), so another process can continue the
 * session, and the upload can be suspended: left to its checkpoint when the CAS lets go of it. Its note
 * then also names the checkpoint manifests, and goes only once they are deleted.
 */
export class OciStagedBlob implements StagedBlob {
  /** The session's newest Location; undefined once the session is finished or cancelled. */
  #location: string | undefined;
  /** Offset of the first byte of `#buffer`: everything before it was handed to a PATCH. */
  #bufferStart = 0;
  #buffer: Uint8Array | undefined;
  /** A chunk buffer whose PATCH finished, for the next chunk (fresh 8 MiB buffers kept the GC busy). */
  #spare: Uint8Array | undefined;
  #filled = 0;
  /** The PATCH in flight; it settles without rejecting, leaving any error in `#failure`. */
  #inflight: Promise<void> | undefined;
  #failure: unknown;
  #state: 'open' | 'committing' | 'committed' | 'aborted' | 'suspended' = 'open';

  private constructor(
    private readonly target: OciUploadTarget,
    at: { readonly location: string; readonly offset: number },
    private readonly note: SessionNote | undefined,
    private readonly log: SessionCheckpointLog | undefined,
  ) {
    this.#location = at.location;
    this.#bufferStart = at.offset;
  }

  /** Opens a new upload session. */
  static async open(target: OciUploadTarget, signal: AbortSignal): Promise<OciStagedBlob> {
    const location = await target.client.startUpload(signal);
    const note = await target.journal?.open(location);
    return new OciStagedBlob(target, { location, offset: 0 }, note, undefined);
  }

  /**
   * An upload that checkpoints into `log` and can be suspended: a new session, or the one `at` names,
   * which the registry holds `at.offset` bytes of.
   */
  static async openCheckpointed(
    target: OciUploadTarget,
    log: SessionCheckpointLog,
    at: { readonly location: string; readonly offset: number } | undefined,
    signal: AbortSignal,
  ): Promise<SuspendableStagedBlob> {
    const start = at ?? { location: await target.client.startUpload(signal), offset: 0 };
    const note = await target.journal?.open(start.location);
    if (note) {
      log.watch((digests) => {
        note.checkpointsAre(digests);
        return note.settled();
      });
    }
    const staged = new OciStagedBlob(target, start, note, log);
    return {
      write: (chunk, signal) => staged.write(chunk, signal),
      commit: (signal) => staged.commit(signal),
      abort: () => staged.abort(),
      suspend: () => staged.#suspend(log),
      suspendLoses: true,
      checkpoints: log,
    };
  }

  private get client(): OciClient {
    return this.target.client;
  }

  private get blob(): BlobRef {
    return this.target.blob;
  }

  async write(chunk: Uint8Array, signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    this.#throwIfFailed();
    let rest = chunk;
    while (rest.byteLength > 0) {
      this.#expectOpen();
      const buffer = this.#currentBuffer();
      if (this.#filled === buffer.byteLength) {
        await this.#flush(signal);
        continue;
      }
      const take = Math.min(rest.byteLength, buffer.byteLength - this.#filled);
      // Copied, because the caller may reuse its chunk once write resolves.
      buffer.set(rest.subarray(0, take), this.#filled);
      this.#filled += take;
      rest = rest.subarray(take);
    }
    // A full buffer goes at once, so the registry works while the next chunk fills.
    if (this.#buffer && this.#filled === this.#buffer.byteLength) await this.#flush(signal);
  }

  async commit(signal: AbortSignal): Promise<void> {
    this.#expectOpen();
    this.#state = 'committing';
    const config = this.target.ensureEmptyConfig(signal);
    // Handled here and awaited below, so a failure before that is never an unhandled rejection.
    config.catch(() => undefined);
    if (this.#filled > 0) await this.#flush(signal);
    await this.#settled(signal);
    this.#throwIfFailed();
    const location = this.#location;
    if (location === undefined) throw new CairnError(Code.FailedPrecondition, 'the upload session is closed');
    await this.client.finishUpload(location, this.blob.hex, EMPTY, signal);
    this.#location = undefined;
    await config;
    const manifest = evidenceManifest(this.blob.hex, this.blob.size, this.target.meta);
    await this.client.putManifest(evidenceTag(this.blob.hex), OCI_IMAGE_MANIFEST, manifest, signal);
    this.#state = 'committed';
    await this.#forgetSession();
  }

  /**
   * Cancels the upload session so nothing is left behind. After a failed manifest push the blob itself
   * stays (untagged, so invisible): it may already back another upload of the same digest.
   */
  async abort(): Promise<void> {
    if (this.#state === 'committed' || this.#state === 'aborted' || this.#state === 'suspended') return;
    this.#state = 'aborted';
    await this.#cancelSession();
  }

  /** Cancels the session of an upload whose state is final already, so no write can start a PATCH. */
  async #cancelSession(): Promise<void> {
    // No write may start a PATCH from now on (#flush checks the state), so the one in flight is the
    // last; once it settled, #location is the session's newest.
    await this.#inflight;
    // Nothing of a session being cancelled is worth saving, even if the cancel fails.
    await this.log?.stop();
    this.#buffer = undefined;
    const location = this.#location;
    this.#location = undefined;
    if (location === undefined) {
      await this.#forgetSession();
      return;
    }
    try {
      await this.client.cancelUpload(location, AbortSignal.timeout(CANCEL_TIMEOUT_MS));
      await this.#forgetSession();
    } catch {
      // Its note stays for a later sweep, and the registry purges abandoned sessions itself; abort must
      // not hide the error that led here.
    }
  }

  /**
   * After the session was finished or cancelled: deletes its checkpoint manifests, then its note. A
   * failed delete keeps the note, which names what is left, for the sweep; the upload's outcome stands.
   */
  async #forgetSession(): Promise<void> {
    try {
      await this.log?.remove();
    } catch {
      return;
    }
    await this.note?.close();
  }

  /**
   * Lets the PATCH in flight answer, saves the checkpoint at the session's newest Location, stops saving
   * and lets go, giving up the chunk being filled. Unless the checkpoint saved names the bytes the registry
   * holds (a PATCH failed, a save failed, or none was ever saved), another process could not continue the
   * session, and it is cancelled instead. A PATCH that does not answer within the cleanup bound is not
   * waited for longer: the session is left as it is, to its note and the sweep, like a crash's. The note
   * stays in every case where the session is left: if no process continues it, this host's sweep cancels it.
   */
  async #suspend(log: SessionCheckpointLog): Promise<void> {
    if (this.#state !== 'open') return this.abort();
    this.#state = 'suspended';
    const answered = await settledWithin(this.#inflight ?? Promise.resolve());
    this.#buffer = undefined;
    this.#spare = undefined;
    if (!answered) return log.stop();
    if (this.#failure === undefined) await log.flush();
    await log.stop();
    const continuable = this.#failure === undefined && log.savedOffset > 0;
    if (continuable && log.savedOffset === this.#bufferStart) return;
    this.#state = 'aborted';
    await this.#cancelSession();
  }

  #currentBuffer(): Uint8Array {
    if (!this.#buffer) {
      const remaining = this.blob.size - this.#bufferStart;
      // Sized to what is left of the declared blob, so a small blob holds a small buffer.
      const size = remaining > 0 ? Math.min(this.target.chunkSize, remaining) : this.target.chunkSize;
      const spare = this.#spare;
      this.#spare = undefined;
      this.#buffer = spare && spare.byteLength >= size ? spare.subarray(0, size) : Buffer.allocUnsafe(size);
      this.#filled = 0;
    }
    return this.#buffer;
  }

  /** Waits for the previous PATCH (the session's next Location comes from it), then starts the next. */
  async #flush(signal: AbortSignal): Promise<void> {
    await this.#settled(signal);
    this.#throwIfFailed();
    this.#expectOpen('committing');
    const location = this.#location;
    const buffer = this.#buffer;
    if (location === undefined || buffer === undefined) return;
    const start = this.#bufferStart;
    const bytes = buffer.subarray(0, this.#filled);
    this.#bufferStart += this.#filled;
    this.#buffer = undefined;
    this.#filled = 0;
    this.#inflight = this.client
      .appendToUpload(location, bytes, start, AbortSignal.timeout(PATCH_TIMEOUT_MS))
      .then(
        (next) => {
          this.#location = next;
          this.note?.moved(next);
          this.log?.moved(start + bytes.byteLength, next);
          // The registry has every byte of it now; the buffer can take the next chunk.
          this.#spare = buffer;
        },
        (error: unknown) => {
          if (error instanceof UploadRangeError) {
            this.#location = error.location;
            this.note?.moved(error.location);
          }
          this.#failure = error;
        },
      );
  }

  /** Waits for the PATCH in flight, but gives up waiting (not the PATCH) when `signal` fires. */
  #settled(signal: AbortSignal): Promise<void> {
    const inflight = this.#inflight;
    return inflight === undefined ? Promise.resolve() : awaitUnlessAborted(inflight, signal, canceled);
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw CairnError.from(this.#failure, Code.Unavailable);
  }

  #expectOpen(alsoAllowed?: 'committing'): void {
    if (this.#state !== 'open' && this.#state !== alsoAllowed) {
      throw new CairnError(Code.FailedPrecondition, `this upload is ${this.#state}; start a new one`);
    }
  }
}

/** What every upload of one driver shares, and the upload's own blob and metadata. */
export interface OciUploadTarget {
  readonly client: OciClient;
  readonly blob: BlobRef;
  readonly meta: BlobMeta;
  readonly chunkSize: number;
  readonly ensureEmptyConfig: (signal: AbortSignal) => Promise<void>;
  readonly journal: SessionJournal | undefined;
}

function canceled(): CairnError {
  return new CairnError(Code.Canceled, 'the upload was canceled');
}
