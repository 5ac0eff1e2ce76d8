import { LRUCache } from 'lru-cache';

/**
 * A cache of expensive, closeable values (backend drivers) shared by concurrent users. An entry is reused
 * for `ttlMs` after its creation; users hold a lease, and an expired entry is closed only when its last
 * lease is released, so an upload that outlives the TTL keeps its driver. A failed creation is not
 * cached: the next caller tries again.
 */
export interface Lease<T> {
  readonly value: T;
  /** Idempotent. */
  release(): void;
}

interface Entry<T> {
  readonly created: Promise<T>;
  leases: number;
}

export interface LeasedCacheOptions<T> {
  readonly ttlMs: number;
  readonly close: (value: T) => Promise<void>;
  /** A failed close is reported here, never thrown at a caller. */
  readonly onCloseError?: (error: unknown) => void;
  readonly clock?: () => number;
}

/** Live entries at most: one per backend (and rotation of its credentials) a CAS serves at once. */
const MAX_LIVE_ENTRIES = 10_000;

/**
 * Live entries are an lru-cache with the TTL (and a bound on their number); an entry leaving it — expired,
 * evicted, or the cache disposed — drains: it is closed once its last lease is released.
 */
export class LeasedCache<T> {
  /** Entries new callers may still use; undefined when nothing is to be reused (a TTL of 0). */
  readonly #live: LRUCache<string, Entry<T>> | undefined;
  /** Entries that left the cache but are still leased by someone. */
  readonly #draining = new Set<Entry<T>>();
  readonly #options: LeasedCacheOptions<T>;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: LeasedCacheOptions<T>) {
    this.#options = options;
    const clock = options.clock ?? Date.now;
    this.#live =
      options.ttlMs > 0
        ? new LRUCache<string, Entry<T>>({
            max: MAX_LIVE_ENTRIES,
            ttl: options.ttlMs,
            // Read the clock on every check (lru-cache would otherwise reuse a reading for a while).
            ttlResolution: 0,
            perf: { now: clock },
            dispose: (entry) => this.#retire(entry),
          })
        : undefined;
    // Idle entries are closed even when no request comes to notice their expiry.
    this.#sweeper = setInterval(() => this.sweep(), Math.max(1000, options.ttlMs)).unref();
  }

  /** Live entries plus expired ones still in use. */
  get size(): number {
    return (this.#live?.size ?? 0) + this.#draining.size;
  }

  async acquire(key: string, create: () => Promise<T>): Promise<Lease<T>> {
    this.sweep();
    let entry = this.#live?.get(key);
    if (!entry) {
      const created = create();
      const fresh: Entry<T> = { created, leases: 0 };
      entry = fresh;
      if (this.#live === undefined) this.#draining.add(fresh);
      else this.#live.set(key, fresh);
      created.catch(() => {
        // A failed creation is not kept: the next caller tries again.
        if (this.#live?.peek(key) === fresh) this.#live.delete(key);
      });
    }
    entry.leases += 1;
    const held = entry;
    let value: T;
    try {
      value = await held.created;
    } catch (error) {
      held.leases -= 1;
      throw error;
    }
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        held.leases -= 1;
        this.sweep();
      },
    };
  }

  /** Retires expired entries and closes the retired ones nobody holds. */
  sweep(): void {
    this.#live?.purgeStale();
    for (const entry of this.#draining) {
      if (entry.leases === 0) {
        this.#draining.delete(entry);
        void this.#close(entry);
      }
    }
  }

  /** Expires everything now and stops the sweeper; resolves when every entry nobody holds is closed. */
  async dispose(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#live?.clear();
    const idle = [...this.#draining].filter((entry) => entry.leases === 0);
    for (const entry of idle) this.#draining.delete(entry);
    await Promise.all(idle.map((entry) => this.#close(entry)));
  }

  #retire(entry: Entry<T>): void {
    this.#draining.add(entry);
  }

  async #close(entry: Entry<T>): Promise<void> {
    let value: T;
    try {
      value = await entry.created;
    } catch {
      return; // Never created: nothing to close.
    }
    try {
      await this.#options.close(value);
    } catch (error) {
      this.#options.onCloseError?.(error);
    }
  }
}
