import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import type { CacheName, ReadCaches } from './read-cache.js';

const CHANNEL = 'cairn_read_cache';
const CACHE_NAMES: readonly string[] = ['apiTokens', 'backends'] satisfies CacheName[];
/** Pause before listening again after the listening connection failed. */
const RELISTEN_DELAY_MS = 1_000;

/**
 * Tells the other control planes on one PostgreSQL that a cached row changed, so a revoked token or a new
 * default backend takes effect on every replica within a notification's delay instead of after
 * `database.cacheTtlMs`. Each replica LISTENs on a connection of its own and NOTIFYs once per write
 * (the invalidations of one turn make one notice; a transaction's, once it ended: see TransactionScope). While the listening connection
 * is down, notices are lost: the caches are cleared when it fails and again once it listens anew, and in
 * between entries expire by their TTL as before.
 */
export class CacheInvalidation {
  /** Marks this replica's notices, so it does not clear its own caches again on hearing them. */
  readonly #sender = randomUUID();
  #listener: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #db: Kysely<unknown> | undefined;
  #caches: ReadCaches | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  /** Listens for notices to `caches`; sends go through `db` (its bounded pool). Resolves once listening. */
  async start(db: Kysely<unknown>, caches: ReadCaches): Promise<void> {
    this.#db = db;
    this.#caches = caches;
    await this.#listen();
  }

  /** Tells the other replicas that `cache` changed; failures are left to the TTL. */
  publish(cache: CacheName): void {
    const db = this.#db;
    if (db === undefined || this.#closed) return;
    sql`select pg_notify(${CHANNEL}, ${`${cache} ${this.#sender}`})`.execute(db).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const listener = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: this.timeoutMs,
      keepAlive: true,
    });
    listener.on('notification', ({ payload }) => {
      const [cache, sender] = (payload ?? '').split(' ');
      if (sender === this.#sender) return;
      // Unknown names (a newer replica's cache) clear everything rather than nothing.
      this.#caches?.forget(CACHE_NAMES.includes(cache ?? '') ? (cache as CacheName) : undefined);
    });
    listener.on('error', () => this.#lost(listener));
    listener.on('end', () => this.#lost(listener));
    try {
      await listener.connect();
      await listener.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      await listener.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await listener.end().catch(() => undefined);
      return;
    }
    this.#listener = listener;
    // Notices sent while nobody listened are lost.
    this.#caches?.forget();
  }

  #lost(listener: pg.Client): void {
    if (this.#listener !== listener) return;
    this.#listener = undefined;
    this.#caches?.forget();
    listener.end().catch(() => undefined);
    this.#scheduleRelisten();
  }

  #scheduleRelisten(): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#listen().catch(() => this.#scheduleRelisten());
    }, RELISTEN_DELAY_MS);
    this.#retry.unref();
  }
}
