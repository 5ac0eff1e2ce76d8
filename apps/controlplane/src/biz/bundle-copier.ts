import { CairnError } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { DataStore } from '../data/index.js';
import type { BlobMapping } from './blob-mapping.js';
import type { CasBundleStore } from './cas-bundle-store.js';

export interface BundleCopierOptions {
  /** Copies running at once. */
  readonly concurrency: number;
  /** Copies waiting in memory; beyond this they wait in the database for the next sweep. */
  readonly maxQueued: number;
  /** Upper bound of one copy, retries included. */
  readonly timeoutMs: number;
  /** How often the database is swept for copies that were dropped, failed or interrupted by a restart. */
  readonly sweepIntervalMs: number;
  /** A sweep leaves bundles younger than this to the replica that stored them. */
  readonly sweepGraceMs: number;
  /** Most copies picked up by one sweep. */
  readonly sweepBatch: number;
}

export const DEFAULT_BUNDLE_COPIER_OPTIONS: BundleCopierOptions = {
  concurrency: 2,
  maxQueued: 1_000,
  timeoutMs: 60_000,
  sweepIntervalMs: 60_000,
  sweepGraceMs: 60_000,
  sweepBatch: 100,
};

const SWEEP_LOCK = 'attestation-bundle-copy';

/**
 * Copies bundles the database holds to their run's CAS backend in the background, and maps each digest
 * to that backend once the CAS has it. Memory stays bounded: the queue holds ids (the bundle is read from
 * the database when its turn comes) and is capped; whatever is dropped, fails or is cut short by a
 * shutdown stays flagged in the database and a periodic sweep (under an advisory lock, so replicas don't
 * repeat it) picks it up again.
 */
export class BundleCopier {
  readonly #queue: string[] = [];
  readonly #known = new Set<string>();
  readonly #abort = new AbortController();
  #running = 0;
  #idle: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: DataStore,
    private readonly bundles: CasBundleStore,
    private readonly mapping: BlobMapping,
    private readonly logger: Logger,
    private readonly options: BundleCopierOptions = DEFAULT_BUNDLE_COPIER_OPTIONS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Copies waiting or running. */
  get pending(): number {
    return this.#known.size;
  }

  /** Queues the copy of attestation `id`; false if it was left for the next sweep (queue full or stopped). */
  enqueue(id: string): boolean {
    if (this.#known.has(id)) return true;
    if (this.#abort.signal.aborted || this.#queue.length >= this.options.maxQueued) {
      this.logger.debug('bundle copy left for the next sweep', { attestation: id });
      return false;
    }
    this.#known.add(id);
    this.#queue.push(id);
    this.#pump();
    return true;
  }

  /** Sweeps now and then every `sweepIntervalMs`. */
  start(): void {
    if (this.#timer || this.#abort.signal.aborted) return;
    const tick = () => {
      this.#sweeping = this.sweep()
        .catch((error: unknown) => {
          if (!this.#abort.signal.aborted) {
            this.logger.error('bundle copy sweep failed', { error: CairnError.from(error).message });
          }
        })
        .finally(() => {
          if (!this.#abort.signal.aborted) {
            this.#timer = setTimeout(tick, this.options.sweepIntervalMs).unref();
          }
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  /**
   * Queues the copies still flagged in the database and waits for them, if this replica holds the
   * sweep lock; returns how many it queued (0 when another replica sweeps).
   */
  async sweep(): Promise<number> {
    const outcome = await this.store.locks.tryWithLock(SWEEP_LOCK, async () => {
      const before = new Date(this.now().getTime() - this.options.sweepGraceMs);
      const ids = await this.store.attestations.pendingCasCopies(before, this.options.sweepBatch);
      const queued = ids.filter((id) => this.enqueue(id)).length;
      await this.idle();
      return queued;
    });
    return outcome.acquired ? outcome.value : 0;
  }

  /** Resolves once nothing waits or runs. */
  idle(): Promise<void> {
    if (this.#known.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops sweeping, cancels copies in flight (they stay flagged for the next start) and waits for them. */
  async stop(): Promise<void> {
    this.#abort.abort();
    clearTimeout(this.#timer);
    for (const id of this.#queue.splice(0)) this.#known.delete(id);
    await Promise.all([this.idle(), this.#sweeping]);
  }

  #pump(): void {
    while (this.#running < this.options.concurrency && this.#queue.length > 0) {
      const id = this.#queue.shift();
      if (id === undefined) break;
      this.#running++;
      this.#copy(id)
        .catch((error: unknown) => {
          if (this.#abort.signal.aborted) return;
          this.logger.warn('attestation bundle copy to the CAS failed; the next sweep retries it', {
            attestation: id,
            error: CairnError.from(error).message,
          });
        })
        .finally(() => {
          this.#running--;
          this.#known.delete(id);
          this.#pump();
          if (this.#known.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }

  async #copy(id: string): Promise<void> {
    const signal = this.#abort.signal;
    signal.throwIfAborted();
    const pending = await this.store.attestations.findPendingCasCopy(id);
    if (!pending) return;
    const backend = await this.store.backends.find(pending.orgId, pending.backendId, {
      includeDeleted: true,
    });
    if (!backend || backend.provider === 'inline') return;
    await this.bundles.upload(
      backend,
      { digest: pending.digest, bytes: pending.bundle },
      this.options.timeoutMs,
      signal,
    );
    await this.mapping.recordLanded(pending.orgId, pending.digest, backend.id, pending.bundle.byteLength);
    await this.store.attestations.markStoredInCas(id, this.now());
    this.logger.info('attestation bundle copied to the CAS', {
      org: pending.orgId,
      attestation: id,
      digest: pending.digest,
      backendId: backend.id,
      backend: backend.name,
    });
  }
}
