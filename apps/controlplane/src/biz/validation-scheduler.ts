import { CairnError } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { CasBackend, DataStore } from '../data/index.js';
import type { BackendValidator } from './backend-validator.js';

export interface ValidationSchedule {
  /** Default and fallback backends are rechecked this often (DESIGN: 30 minutes). */
  readonly primaryIntervalMs: number;
  /**
   * A default or fallback whose last check failed is rechecked this often: the check runs on the CAS, so
   * a CAS that was down for a moment must not keep the organisation's uploads refused for half an hour.
   */
  readonly failedIntervalMs: number;
  /** Every live backend is rechecked this often (DESIGN: 24 hours). */
  readonly allIntervalMs: number;
  /** How often the scheduler looks for due backends. */
  readonly tickMs: number;
  /** Most backends checked in one tick; the rest wait for the next. */
  readonly batchSize: number;
}

export const DEFAULT_VALIDATION_SCHEDULE: ValidationSchedule = {
  primaryIntervalMs: 30 * 60_000,
  failedIntervalMs: 2 * 60_000,
  allIntervalMs: 24 * 60 * 60_000,
  tickMs: 60_000,
  batchSize: 100,
};

const LOCK_NAME = 'cas-backend-validation';

/**
 * Revalidates backends in the background. Each tick runs under a PostgreSQL advisory lock: the replica
 * that takes it checks what is due, the others skip the tick. "Due" is read from `validated_at`, so a
 * check done by any replica (or on demand) counts for all.
 */
export class ValidationScheduler {
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: DataStore,
    private readonly validator: BackendValidator,
    private readonly logger: Logger,
    private readonly schedule: ValidationSchedule = DEFAULT_VALIDATION_SCHEDULE,
    private readonly now: () => Date = () => new Date(),
  ) {}

  start(): void {
    if (this.#timer || this.#abort.signal.aborted) return;
    const tick = () => {
      this.#running = this.runDue(this.#abort.signal)
        .catch((error: unknown) => {
          if (!this.#abort.signal.aborted) {
            this.logger.error('background validation failed', { error: CairnError.from(error).message });
          }
        })
        .finally(() => {
          if (!this.#abort.signal.aborted) this.#timer = setTimeout(tick, this.schedule.tickMs).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /** Stops the timer, cancels checks in flight and waits for them to end. */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** One tick: checks every due backend if this replica holds the lock. */
  async runDue(signal: AbortSignal): Promise<{ ran: boolean; checked: CasBackend[] }> {
    const outcome = await this.store.locks.tryWithLock(LOCK_NAME, async () => {
      const due = await this.#due();
      const checked: CasBackend[] = [];
      for (const backend of due) {
        signal.throwIfAborted();
        checked.push(await this.validator.validate(backend, signal));
      }
      return checked;
    });
    return outcome.acquired ? { ran: true, checked: outcome.value } : { ran: false, checked: [] };
  }

  async #due(): Promise<CasBackend[]> {
    const now = this.now().getTime();
    const { primaryIntervalMs, failedIntervalMs, allIntervalMs, batchSize } = this.schedule;
    const failed = await this.store.backends.dueForValidation({
      before: new Date(now - failedIntervalMs),
      onlyDefaultOrFallback: true,
      onlyFailed: true,
      limit: batchSize,
    });
    const primary = await this.store.backends.dueForValidation({
      before: new Date(now - primaryIntervalMs),
      onlyDefaultOrFallback: true,
      limit: batchSize,
    });
    const all = await this.store.backends.dueForValidation({
      before: new Date(now - allIntervalMs),
      onlyDefaultOrFallback: false,
      limit: batchSize,
    });
    const byId = new Map<string, CasBackend>();
    for (const backend of [...failed, ...primary, ...all]) byId.set(backend.id, backend);
    return [...byId.values()].slice(0, batchSize);
  }
}
