import type { BlobStore, SweepReport } from '@cairn/backends';
import type { BackendClaim, CasClaims } from '@cairn/cas-token';
import { LRUCache } from 'lru-cache';
import type { Lease } from '../data/leased-cache.js';

export interface LeftoverSweeperOptions {
  /** Leftovers idle at least this long are removed; younger ones may be another replica's live upload. */
  readonly leftoverAgeMs: number;
  /** At most one sweep per backend per period. */
  readonly periodMs: number;
  /** Upper bound of one sweep. */
  readonly timeoutMs: number;
  /** Sweeps running at once across backends; a backend whose turn finds them all busy waits for its next use. */
  readonly maxConcurrent?: number;
  /** Told what each sweep did, or why it failed, for logs. */
  readonly onSwept?: (
    backend: BackendClaim,
    outcome: { readonly report: SweepReport; readonly ms: number } | { readonly error: unknown },
  ) => void;
  readonly clock?: () => number;
}

/** Backends remembered at most; the oldest are forgotten first (and swept again on their next use). */
const MAX_REMEMBERED = 10_000;

/**
 * Removes what unfinished uploads left on the backends this CAS serves — a crash's staging files,
 * multipart uploads, uncommitted blocks, registry upload sessions — through each driver's
 * `sweepLeftovers`. The CAS knows a backend only from the tokens that name it, so a backend is swept when
 * a call uses it: at once on the first use after a start (which is when a crash's leftovers are found),
 * then at most once per `periodMs`, in the background, bounded by `timeoutMs`, never holding up the call.
 * Only leftovers idle `leftoverAgeMs` are touched, so an upload still live on another replica is safe.
 */
export class LeftoverSweeper {
  readonly #open: (claims: CasClaims, signal: AbortSignal) => Promise<Lease<BlobStore>>;
  readonly #options: LeftoverSweeperOptions;
  readonly #clock: () => number;
  /** Backend key → when its last sweep started. */
  readonly #started = new LRUCache<string, number>({ max: MAX_REMEMBERED });
  readonly #running = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  constructor(
    open: (claims: CasClaims, signal: AbortSignal) => Promise<Lease<BlobStore>>,
    options: LeftoverSweeperOptions,
  ) {
    this.#open = open;
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** A call used the backend `claims` name: starts its sweep in the background if one is due. */
  noteUse(claims: CasClaims): void {
    if (this.#stop.signal.aborted) return;
    const key = JSON.stringify([claims.backend.provider, claims.backend.id, claims.backend.location]);
    const now = this.#clock();
    const last = this.#started.peek(key);
    if (this.#running.has(key) || (last !== undefined && now - last < this.#options.periodMs)) return;
    if (this.#running.size >= (this.#options.maxConcurrent ?? 2)) return;
    this.#started.set(key, now);
    const sweep = this.#sweep(claims).finally(() => this.#running.delete(key));
    this.#running.set(key, sweep);
  }

  /** Stops running sweeps and waits for them; no new one starts. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#running.values()]);
  }

  async #sweep(claims: CasClaims): Promise<void> {
    const started = this.#clock();
    const signal = AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#options.timeoutMs)]);
    let lease: Lease<BlobStore> | undefined;
    try {
      lease = await this.#open(claims, signal);
      const report = await lease.value.sweepLeftovers(this.#options.leftoverAgeMs, signal);
      this.#options.onSwept?.(claims.backend, { report, ms: this.#clock() - started });
    } catch (error) {
      if (!this.#stop.signal.aborted) this.#options.onSwept?.(claims.backend, { error });
    } finally {
      lease?.release();
    }
  }
}
