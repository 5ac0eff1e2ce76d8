import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, Code } from '@cairn/errors';
import { tryLock } from 'fs-native-extensions';

/**
 * One writer per folder: an exclusive advisory lock on a lock file inside it (fs-native-extensions:
 * `fcntl(F_OFD_SETLK)` on Linux, `flock` on macOS). Used for a PGlite data directory (open-database.ts)
 * and for the `.cairn/` folder of `npm start` (scripts/embedded/instance-lock.ts, which hands it on to the
 * services it runs).
 *
 * Why a kernel lock rather than a pid file that is taken over once its pid is gone:
 * - The kernel drops the lock when the last descriptor of the open file closes: on release, on exit, on
 *   `kill -9` or the OOM killer alike. Nothing stale is left to judge, so there is no guessing whether a
 *   pid was reused, and no race in which two starters both find a dead holder and both take over.
 * - It belongs to the open file, not to the process: two opens in one process exclude each other too,
 *   and a child handed the descriptor holds the lock with its parent, until the last of them exits.
 * - fs-native-extensions ships prebuilt N-API binaries (Linux, macOS, Windows) inside the package, so
 *   installing needs no compiler, and it loads on Node 20; fs-ext and os-lock build with node-gyp.
 *
 * The file also holds a JSON record of its holder (pid, host, start time, and what the caller adds), only
 * to tell a refused opener who is there: what it says never decides who gets the lock. The file is never
 * deleted, since removing a lock file lets two processes lock two different files of one name.
 */
export class FolderLock {
  readonly #handle: FileHandle;
  #record: LockHolder;
  #released = false;

  private constructor(
    readonly file: string,
    handle: FileHandle,
    record: LockHolder,
  ) {
    this.#handle = handle;
    this.#record = record;
  }

  /**
   * Takes the lock on `file` (created 0600 if missing) without waiting. On success the file says who holds
   * it: this process, plus `details`. Otherwise the answer carries the holder's record, when it has written
   * one that parses.
   */
  static async tryAcquire(
    file: string,
    details: Readonly<Record<string, unknown>> = {},
  ): Promise<LockAttempt> {
    const handle = await open(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    let granted: boolean;
    try {
      granted = lockWithoutWaiting(handle.fd, file);
    } catch (error) {
      await handle.close();
      throw error;
    }
    if (!granted) {
      try {
        return { acquired: false, holder: await readHolder(handle) };
      } finally {
        await handle.close();
      }
    }
    const record: LockHolder = {
      ...details,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
    };
    const lock = new FolderLock(file, handle, record);
    try {
      await lock.#write();
    } catch (error) {
      await lock.release();
      throw error;
    }
    return { acquired: true, lock };
  }

  /** The descriptor that holds the lock: a child process given it keeps the lock held until it exits too. */
  get fd(): number {
    return this.#handle.fd;
  }

  /** Adds `details` to what the lock file says about its holder (pid, host and start time stay). */
  async describe(details: Readonly<Record<string, unknown>>): Promise<void> {
    this.#record = { ...this.#record, ...details, pid: this.#record.pid, host: this.#record.host };
    await this.#write();
  }

  /** Lets the next opener in. Idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    // Closing the last descriptor of the open file is what drops the lock.
    await this.#handle.close();
  }

  async #write(): Promise<void> {
    // Written over the old record, then cut to length: a reader sees the old record, the new one, or a
    // mix that does not parse and makes it read again; never an empty file it would take as no holder.
    const bytes = Buffer.from(`${JSON.stringify(this.#record)}\n`);
    await this.#handle.write(bytes, 0, bytes.length, 0);
    await this.#handle.truncate(bytes.length);
  }
}

/** What a lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly [detail: string]: unknown;
}

export type LockAttempt =
  | { readonly acquired: true; readonly lock: FolderLock }
  /** `holder` is undefined when the lock file has no record that parses (a holder that never wrote one). */
  | { readonly acquired: false; readonly holder: LockHolder | undefined };

/**
 * True only when the holder provably ended: it ran on this host and no process has its pid. (Its lock is
 * then held by a process it handed the descriptor to.) A holder on another host sharing the folder is
 * never judged gone.
 */
export function holderIsGone(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function lockWithoutWaiting(fd: number, file: string): boolean {
  try {
    return tryLock(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // POSIX lets a conflicting fcntl lock fail with EACCES as well as EAGAIN (the package maps only EAGAIN).
    if (code === 'EACCES') return false;
    throw new CairnError(
      Code.FailedPrecondition,
      `could not lock ${file} (${code ?? String(error)}); keep this folder on a local file system that supports file locks`,
      { cause: error, details: { reason: 'lock_unsupported' } },
    );
  }
}

/** The holder's record; read again for up to a second while it is mid-write (or not yet written). */
async function readHolder(handle: FileHandle): Promise<LockHolder | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const buffer = Buffer.alloc(Math.min((await handle.stat()).size, 64 * 1024));
    // Read at offset 0 each time: the handle's own position moves on after a read.
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const holder = parseHolder(buffer.subarray(0, bytesRead).toString('utf8'));
    if (holder) return holder;
    await sleep(50);
  }
  return undefined;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (!Number.isSafeInteger(record.pid) || typeof record.host !== 'string') return undefined;
    if (typeof record.startedAt !== 'string') return undefined;
    return record as LockHolder;
  } catch {
    return undefined;
  }
}
