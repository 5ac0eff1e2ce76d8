import { CairnError } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { DataStore } from '../data/index.js';
import { logExpired } from './workflow-runs.js';

export interface RunExpiryOptions {
  /** How often the sweep looks for runs past their lifetime. */
  readonly intervalMs: number;
  /** Runs marked per statement; a sweep repeats until fewer are due. */
  readonly batchSize: number;
}

export const DEFAULT_RUN_EXPIRY_OPTIONS: RunExpiryOptions = { intervalMs: 60_000, batchSize: 500 };

const LOCK_NAME = 'workflow-run-expiry';

/**
 * Marks runs that were not pushed within their lifetime `expired` in the background, under a PostgreSQL
 * advisory lock so one replica does it. Calls on such a run mark it themselves when they come first (see
 * WorkflowRuns.find); the sweep makes listings and the database tell the truth without waiting for one.
 */
export class RunExpirySweeper {
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: DataStore,
    private readonly logger: Logger,
    private readonly options: RunExpiryOptions = DEFAULT_RUN_EXPIRY_OPTIONS,
  ) {}

  /** Sweeps now and then every `intervalMs` (unref'd timers: it never keeps the process alive). */
  start(): void {
    if (this.#timer || this.#abort.signal.aborted) return;
    const tick = () => {
      this.#running = this.sweep()
        .catch((error: unknown) => {
          if (!this.#abort.signal.aborted) {
            this.logger.error('workflow run expiry sweep failed', { error: CairnError.from(error).message });
          }
        })
        .finally(() => {
          if (!this.#abort.signal.aborted) this.#timer = setTimeout(tick, this.options.intervalMs).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** Stops the timer and waits for a sweep in flight. */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Marks every overdue run expired if this replica holds the lock; returns how many (0 when another sweeps). */
  async sweep(): Promise<number> {
    const outcome = await this.store.locks.tryWithLock(LOCK_NAME, async () => {
      let total = 0;
      for (;;) {
        const expired = await this.store.workflowRuns.expireOverdue(this.options.batchSize);
        for (const run of expired) logExpired(this.logger, run, 'by the sweep');
        total += expired.length;
        if (expired.length < this.options.batchSize || this.#abort.signal.aborted) return total;
      }
    });
    return outcome.acquired ? outcome.value : 0;
  }
}
