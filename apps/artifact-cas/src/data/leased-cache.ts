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
  readonly expiresAt: number;
  leases: number;
}

export interface LeasedCacheOptions<T> {
  readonly ttlMs: number;
  readonly close: (value: T) => Promise<void>;
  /** A failed close is reported here, never thrown at a caller. */
  readonly onCloseError?: (error: unknown) => void;
  readonly clock?: () => number;
}

export class LeasedCache<T> {
  /** Entries new callers may still use. */
  readonly #live = new Map<string, Entry<T>>();
  /** Expired entries still leased by someone. */
  readonly #draining = new Set<Entry<T>>();
  readonly #options: LeasedCacheOptions<T>;
  readonly #clock: () => number;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: LeasedCacheOptions<T>) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    // Idle entries are closed even when no request comes to notice their expiry.
    this.#sweeper = setInterval(() => this.sweep(), Math.max(1000, options.ttlMs)).unref();
  }

  /** Live entries plus expired ones still in use. */
  get size(): number {
    return this.#live.size + this.#draining.size;
  }

  async acquire(key: string, create: () => Promise<T>): Promise<Lease<T>> {
    this.sweep();
    let entry = this.#live.get(key);
    if (!entry) {
      const created = create();
      const fresh: Entry<T> = { created, expiresAt: this.#clock() + this.#options.ttlMs, leases: 0 };
      entry = fresh;
      this.#live.set(key, fresh);
      created.catch(() => {
        if (this.#live.get(key) === fresh) this.#live.delete(key);
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

  /** Moves expired entries out of use and closes those nobody holds. */
  sweep(): void {
    const now = this.#clock();
    for (const [key, entry] of this.#live) {
      if (entry.expiresAt <= now) {
        this.#live.delete(key);
        this.#draining.add(entry);
      }
    }
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
    const idle: Entry<T>[] = [];
    for (const entry of [...this.#live.values(), ...this.#draining]) {
      if (entry.leases === 0) idle.push(entry);
      else this.#draining.add(entry);
    }
    this.#live.clear();
    for (const entry of idle) this.#draining.delete(entry);
    await Promise.all(idle.map((entry) => this.#close(entry)));
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
