import type { BlobStore, BlobUpload } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { Lease } from '../data/leased-cache.js';

/**
 * One upload in progress: the verifying `BlobUpload`, the backend lease it writes through, and whether a
 * Write stream is feeding it now. A detached session waits `resumeWindowMs` for a Write to continue it,
 * then is aborted (its staged bytes discarded).
 */
export class UploadSession {
  #attached = true;
  #timer: NodeJS.Timeout | undefined;
  /** Aborts the session's backend I/O when it expires or the server stops; never a caller's cancel. */
  readonly #controller = new AbortController();

  constructor(
    readonly key: string,
    readonly upload: BlobUpload,
    readonly backend: Lease<BlobStore>,
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get attached(): boolean {
    return this.#attached;
  }

  /** @internal used by UploadSessions */
  setAttached(attached: boolean, timer?: NodeJS.Timeout): void {
    this.#attached = attached;
    clearTimeout(this.#timer);
    this.#timer = timer;
  }

  /** @internal */
  async dispose(abort: boolean): Promise<void> {
    clearTimeout(this.#timer);
    this.#controller.abort(new CairnError(Code.Aborted, 'the upload session ended'));
    try {
      if (abort) await this.upload.abort();
    } finally {
      this.backend.release();
    }
  }
}

export interface UploadSessionsOptions {
  readonly resumeWindowMs: number;
  readonly maxOpen: number;
  /**
   * Called, for logs, once a session whose resume window is over has been let go: suspended, its
   * checkpoint saved for any process to continue (`continuable`), or aborted. Only then, so that a
   * reader of the log (a test, an operator) who turns to another replica finds the checkpoint there.
   */
  readonly onExpired?: (key: string, received: number, continuable: boolean) => void;
  readonly onAbortError?: (error: unknown) => void;
}

/**
 * Upload sessions by key (org, backend and canonical resource name), so a Write interrupted by a dropped
 * connection can be continued by the next Write with the same name (QueryWriteStatus tells where).
 * Memory per session is what its driver stages, which the providers keep bounded.
 */
export class UploadSessions {
  readonly #sessions = new Map<string, UploadSession>();
  /** Keys whose session is being created, so two Writes of one name never stage twice. */
  readonly #starting = new Set<string>();
  readonly #options: UploadSessionsOptions;
  #closed = false;

  constructor(options: UploadSessionsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sessions.size + this.#starting.size;
  }

  get(key: string): UploadSession | undefined {
    return this.#sessions.get(key);
  }

  /**
   * Reserves `key` for a new session while `create` stages it; ABORTED if a Write of the same name runs,
   * RESOURCE_EXHAUSTED when too many are open.
   */
  async create(key: string, create: () => Promise<{ upload: BlobUpload; backend: Lease<BlobStore> }>) {
    this.#refuseIfClosed();
    if (this.#sessions.has(key) || this.#starting.has(key)) throw busy();
    if (this.size >= this.#options.maxOpen) {
      throw new CairnError(
        Code.ResourceExhausted,
        `this CAS holds ${this.#options.maxOpen} open uploads already; retry in a moment`,
        { details: { reason: 'too_many_uploads' } },
      );
    }
    this.#starting.add(key);
    try {
      const { upload, backend } = await create();
      const session = new UploadSession(key, upload, backend);
      if (this.#closed) {
        // Shut down while it opened: it may have been continued from another replica's checkpoint, which
        // stays for the next one.
        await this.#letGo(session);
        this.#refuseIfClosed();
      }
      this.#sessions.set(key, session);
      return session;
    } finally {
      this.#starting.delete(key);
    }
  }

  /** Marks a detached session as fed by a new Write; ABORTED if another Write feeds it now. */
  attach(session: UploadSession): void {
    this.#refuseIfClosed();
    if (session.attached || this.#sessions.get(session.key) !== session) throw busy();
    session.setAttached(true);
  }

  /**
   * The Write feeding `session` stopped early: keep it for the resume window. Then it is aborted, or, when
   * other replicas can continue it (they may be doing so), suspended: its checkpoint stays for them.
   */
  detach(session: UploadSession): void {
    if (this.#sessions.get(session.key) !== session) return;
    const timer = setTimeout(() => {
      if (this.#sessions.get(session.key) !== session || session.attached) return;
      void this.#letGo(session).then((continuable) =>
        this.#options.onExpired?.(session.key, session.upload.received, continuable),
      );
    }, this.#options.resumeWindowMs);
    timer.unref();
    session.setAttached(false, timer);
  }

  /** Forgets `session`, aborting its staged bytes unless it was committed. */
  async end(session: UploadSession, abort: boolean): Promise<void> {
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key);
    try {
      await session.dispose(abort);
    } catch (error) {
      this.#options.onAbortError?.(error);
    }
  }

  /**
   * Refuses new sessions and ends every open one (shutdown): an upload another replica can continue stays
   * staged for it, any other is aborted.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#sessions.values()];
    await Promise.all(open.map((session) => this.#letGo(session)));
  }

  /**
   * Ends a session this process gives up: suspended for another process if it can continue it, else
   * aborted. Answers whether it was suspended (a failed suspend is reported to `onAbortError`).
   */
  async #letGo(session: UploadSession): Promise<boolean> {
    if (!session.upload.resumable) {
      await this.end(session, true);
      return false;
    }
    const suspended = await session.upload.suspend().then(
      () => true,
      (error: unknown) => {
        this.#options.onAbortError?.(error);
        return false;
      },
    );
    await this.end(session, false);
    return suspended;
  }

  #refuseIfClosed(): void {
    if (this.#closed) {
      throw new CairnError(Code.Unavailable, 'this CAS is shutting down; retry against another replica');
    }
  }
}

function busy(): CairnError {
  return new CairnError(
    Code.Aborted,
    'another Write of this resource name is running; wait for it to end (or cancel it), then resume from QueryWriteStatus',
    { details: { reason: 'upload_busy' } },
  );
}
