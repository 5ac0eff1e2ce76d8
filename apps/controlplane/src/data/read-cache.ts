import { LRUCache } from 'lru-cache';
import type { ApiToken, CasBackend } from './records.js';

/** Entries each cache keeps at most; past it the least recently used go first. */
const MAX_ENTRIES = 10_000;

/**
 * Rows read on every authenticated call, kept for a short time (`ttlMs`, 0: not at all) so a hot call
 * does not go to the database for them each time.
 *
 * Why it exists: CASCredentialsService.Get read the caller's API token and the organisation's default
 * backend on every call (two round trips); under 32 concurrent clients on PostgreSQL those reads and
 * their kysely/pg work were the largest share of the control plane's CPU after token signing (profile
 * in BENCHMARKS.md, 2026-12-06).
 *
 * Writes made through the repositories of this process invalidate at once. On PostgreSQL other replicas
 * are told too (cache-invalidation.ts) and drop their copies within a notification's delay; only while a
 * replica's listening connection is down can a revoked token, or a changed default backend, keep working
 * there for up to `ttlMs` (documented with the setting, database.cacheTtlMs).
 */
export class ReadCache<V> {
  readonly #entries: LRUCache<string, { readonly value: V }> | undefined;
  /**
   * Loads under way, by key: the callers that miss while one runs wait for it instead of each going to
   * the database, so an entry's expiry costs one read, not one per concurrent caller (32 callers of a
   * hot key sent 64 queries at once every `ttlMs`). lru-cache's own `fetch` coalesces too, but it cannot
   * hand a caller a value it was told not to keep (`keep`), which the token cache needs.
   */
  readonly #loading = new Map<string, Promise<V>>();
  /** Bumped by every invalidation, so a read that began before one does not store what it read. */
  #generation = 0;
  /** Told of the invalidations made here, so other replicas can drop their copies (cache-invalidation.ts). */
  readonly #onInvalidate: (() => void) | undefined;
  /** A notice is due at the end of this turn: the invalidations of one write make one notice. */
  #noticeDue = false;

  constructor(ttlMs: number, onInvalidate?: () => void) {
    this.#entries = ttlMs > 0 ? new LRUCache({ max: MAX_ENTRIES, ttl: ttlMs }) : undefined;
    this.#onInvalidate = this.#entries === undefined ? undefined : onInvalidate;
  }

  /**
   * The cached value of `key`, else `load()`'s, kept when `keep` allows and no invalidation happened
   * while it loaded.
   */
  async read(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const entries = this.#entries;
    if (entries === undefined) return load();
    const hit = entries.get(key);
    if (hit !== undefined) return hit.value;
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    const generation = this.#generation;
    const loading = load()
      .then((value) => {
        if (generation === this.#generation && keep(value)) entries.set(key, { value });
        return value;
      })
      .finally(() => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key);
      });
    this.#loading.set(key, loading);
    return loading;
  }

  /**
   * Forgets `key`, or with no key every entry, after a write made here. `tellReplicas` false keeps it
   * here (inside a transaction, whose end invalidates again and tells them then).
   */
  invalidate(key?: string, tellReplicas = true): void {
    this.#generation++;
    // A load that began before the write may return the old row: later readers start their own.
    if (key === undefined) {
      this.#entries?.clear();
      this.#loading.clear();
    } else {
      this.#entries?.delete(key);
      this.#loading.delete(key);
    }
    if (tellReplicas) this.#tellReplicas();
  }

  /**
   * Forgets every entry whose value `matches` (the caller knows the row, not the key). `tellReplicas`
   * false keeps it here, for a change other replicas may keep seeing stale (a last-used time).
   */
  invalidateWhere(matches: (value: V) => boolean, tellReplicas = true): void {
    this.#generation++;
    this.#loading.clear();
    const entries = this.#entries;
    if (entries === undefined) return;
    for (const [key, entry] of entries.entries()) if (matches(entry.value)) entries.delete(key);
    if (tellReplicas) this.#tellReplicas();
  }

  #tellReplicas(): void {
    const onInvalidate = this.#onInvalidate;
    if (onInvalidate === undefined || this.#noticeDue) return;
    this.#noticeDue = true;
    queueMicrotask(() => {
      this.#noticeDue = false;
      onInvalidate();
    });
  }

  /** Forgets every entry because another replica wrote (or may have): no one else is told. */
  forgetAll(): void {
    this.#generation++;
    this.#entries?.clear();
    this.#loading.clear();
  }
}

/** The caches other replicas can be told to drop, by name. */
export type CacheName = 'apiTokens' | 'backends';

/** The caches of one data store, shared by its repositories and those of its transactions. */
export class ReadCaches {
  /** API tokens by the hash of their secret. */
  readonly apiTokens: ReadCache<ApiToken | undefined>;
  /** An organisation's default and fallback backend, by `default:<org>` and `fallback:<org>`. */
  readonly backends: ReadCache<CasBackend | undefined>;

  /** `invalidated` hears of each invalidation made through these caches, by cache name. */
  constructor(ttlMs: number, invalidated?: (cache: CacheName) => void) {
    this.apiTokens = new ReadCache(ttlMs, invalidated && (() => invalidated('apiTokens')));
    this.backends = new ReadCache(ttlMs, invalidated && (() => invalidated('backends')));
  }

  /** Forgets the named cache, or every cache, without telling anyone. */
  forget(cache?: CacheName): void {
    if (cache === undefined || cache === 'apiTokens') this.apiTokens.forgetAll();
    if (cache === undefined || cache === 'backends') this.backends.forgetAll();
  }
}

/**
 * How repositories use the caches: outside a transaction they read through them; inside one they read
 * the transaction's own view, and each invalidation is repeated when the transaction ends, because a
 * read outside it may have stored the old row again before the commit made the new one visible.
 */
export interface CacheScope {
  read<V>(cache: ReadCache<V>, key: string, load: () => Promise<V>, keep?: (value: V) => boolean): Promise<V>;
  invalidate<V>(cache: ReadCache<V>, key?: string): void;
  invalidateWhere<V>(cache: ReadCache<V>, matches: (value: V) => boolean, tellReplicas?: boolean): void;
}

export const SHARED_SCOPE: CacheScope = {
  read: (cache, key, load, keep) => cache.read(key, load, keep),
  invalidate: (cache, key) => cache.invalidate(key),
  invalidateWhere: (cache, matches, tellReplicas) => cache.invalidateWhere(matches, tellReplicas),
};

export class TransactionScope implements CacheScope {
  readonly #afterwards: Array<() => void> = [];

  read<V>(_cache: ReadCache<V>, _key: string, load: () => Promise<V>): Promise<V> {
    return load();
  }

  // Other replicas are told only once the transaction ended: before the commit they would read the old row.
  invalidate<V>(cache: ReadCache<V>, key?: string): void {
    cache.invalidate(key, false);
    this.#afterwards.push(() => cache.invalidate(key));
  }

  invalidateWhere<V>(cache: ReadCache<V>, matches: (value: V) => boolean, tellReplicas?: boolean): void {
    cache.invalidateWhere(matches, false);
    this.#afterwards.push(() => cache.invalidateWhere(matches, tellReplicas));
  }

  /** Once the transaction committed or rolled back. */
  settle(): void {
    for (const invalidate of this.#afterwards.splice(0)) invalidate();
  }
}
