import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '@cairn/digest';
import { throwIfAborted } from '@cairn/errors';
import { OPERATION_ABORT_WORDING } from '../core/cancellation.js';
import { SWEEP_LIMIT, type SweepReport } from '../core/provider.js';
import type { OciClient } from './client.js';
import { MANIFEST_DIGEST, type SessionCheckpoints } from './session-checkpoints.js';

const NOTE_SUFFIX = '.session';
const TEMP_SUFFIX = '.tmp';

/** A session noted by a process that may have crashed: where it was last, and the file that says so. */
export interface NotedSession {
  readonly path: string;
  readonly location: string;
  /** Digests of the checkpoint manifests the session may have left (see session-checkpoint-log.ts). */
  readonly checkpoints: readonly string[];
}

/**
 * Notes of the upload sessions this host has open in one repository, a small file each. A registry lists
 * no upload sessions, not even to their owner, so after a crash these notes are the only way to find the
 * sessions to cancel; `OciDriver.sweepLeftovers` reads them. Each note holds the session's newest
 * `Location` (distribution 2.8 accepts a request only with the newest one) and is rewritten after every
 * PATCH, so its modification time is when the upload last moved. Notes are written without fsync: they
 * must survive the CAS process (`kill -9`), not the machine; a note lost with the machine leaves the
 * session to the registry's own purge (distribution: `storage.maintenance.uploadpurging`).
 *
 * Writing a note never fails an upload: a note that cannot be written costs only the cleanup it stands
 * for, which the registry's purge still does.
 *
 * A note of a checkpointed session also names, one per line after the Location, the digests of the
 * checkpoint manifests it may have left, for the sweep to delete with the session.
 */
export class SessionJournal {
  readonly dir: string;
  #ready: Promise<boolean> | undefined;

  /** `repository` identifies the registry and repository (the location's canonical form). */
  constructor(journalDir: string, repository: string) {
    const id = sha256Hex(repository).slice(0, 16);
    this.dir = join(journalDir, `oci-${id}`);
  }

  /** Notes a session just opened (or continued) at `location`. */
  async open(location: string): Promise<SessionNote> {
    const note = new SessionNote(join(this.dir, `${randomUUID()}${NOTE_SUFFIX}`), this.#ensureDir());
    note.moved(location);
    await note.settled();
    return note;
  }

  /** Sessions whose note was last written more than `olderThanMs` ago, and stray temp files that old. */
  async stale(olderThanMs: number, signal: AbortSignal): Promise<NotedSession[]> {
    const cutoff = Date.now() - Math.max(0, olderThanMs);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const found: NotedSession[] = [];
    for (const name of names) {
      throwIfAborted(signal, OPERATION_ABORT_WORDING);
      const path = join(this.dir, name);
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile() || info.mtimeMs > cutoff) continue;
      if (name.endsWith(TEMP_SUFFIX)) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith(NOTE_SUFFIX)) continue;
      const [location = '', ...rest] = (await readFile(path, 'utf8').catch(() => '')).split('\n');
      const checkpoints = rest.filter((line) => MANIFEST_DIGEST.test(line));
      found.push({ path, location: location.trim(), checkpoints });
    }
    return found;
  }

  /** Removes a note once its session was dealt with. */
  async forget(note: NotedSession): Promise<void> {
    await rm(note.path, { force: true }).catch(() => undefined);
  }

  #ensureDir(): Promise<boolean> {
    this.#ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 }).then(
      () => true,
      () => {
        this.#ready = undefined;
        return false;
      },
    );
    return this.#ready;
  }
}

/** The note of one open session; its writes run one after another, in the order asked. */
export class SessionNote {
  #writes: Promise<unknown>;
  #closed = false;
  #location = '';
  #checkpoints: readonly string[] = [];

  constructor(
    readonly path: string,
    ready: Promise<boolean>,
  ) {
    this.#writes = ready;
  }

  /** The session continues at `location` now. */
  moved(location: string): void {
    this.#location = location;
    this.#write();
  }

  /** The checkpoint manifests the session may have left are these now. */
  checkpointsAre(digests: readonly string[]): void {
    this.#checkpoints = digests;
    this.#write();
  }

  #write(): void {
    if (this.#closed) return;
    const content = [this.#location, ...this.#checkpoints, ''].join('\n');
    this.#writes = this.#writes.then(() => replace(this.path, content));
  }

  /** Resolves once every write asked for so far is done (or failed). */
  settled(): Promise<void> {
    return this.#writes.then(() => undefined);
  }

  /** The session was finished or cancelled: removes the note after any write still under way. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.settled();
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/** Writes a note whole: a temp file renamed over it, so a crash never leaves half a Location. */
async function replace(path: string, content: string): Promise<void> {
  const temp = `${path}${TEMP_SUFFIX}`;
  try {
    await writeFile(temp, content, { mode: 0o600 });
    await rename(temp, path);
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * Cancels the sessions whose notes are older than `olderThanMs`: their process is gone (a crash) or
 * their upload stopped moving that long ago, past any resume window. A note whose Location is not on this
 * registry's origin is dropped unused, so a note edited on disk can never send credentials elsewhere. A
 * session the registry no longer lets anyone address is counted as `left` (its purge takes it); a failed
 * request keeps its note for the next sweep. The session's checkpoint manifests go with it: whatever
 * happened to the session, they are this process's and name nothing useful any more (a process that went
 * on from one has saved its own and moved the tag there; deleting one the tag still points at deletes the
 * tag, which that process's next save puts back).
 */
export async function sweepJournaledSessions(
  client: OciClient,
  checkpoints: SessionCheckpoints,
  journal: SessionJournal,
  olderThanMs: number,
  signal: AbortSignal,
): Promise<SweepReport> {
  let removed = 0;
  let left = 0;
  for (const note of await journal.stale(olderThanMs, signal)) {
    if (removed >= SWEEP_LIMIT) break;
    if (!sameOrigin(note.location, client.location.origin)) {
      await journal.forget(note);
      continue;
    }
    let outcome: Awaited<ReturnType<OciClient['cancelAbandonedUpload']>>;
    try {
      outcome = await client.cancelAbandonedUpload(note.location, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      left += 1;
      continue;
    }
    if (outcome === 'cancelled') removed += 1;
    if (outcome === 'unaddressable') left += 1;
    try {
      for (const digest of note.checkpoints) if (await checkpoints.remove(digest, signal)) removed += 1;
    } catch (error) {
      if (signal.aborted) throw error;
      continue; // the note stays, for the next sweep to delete the checkpoints
    }
    await journal.forget(note);
  }
  return { removed, left };
}

function sameOrigin(location: string, origin: string): boolean {
  try {
    return new URL(location).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}
