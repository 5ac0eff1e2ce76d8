import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { BoundedPool } from './bounded-pool.js';
import { asDatabaseError } from './database-errors.js';
import type { DatabaseSchema } from './schema.js';

export type LockOutcome<T> = { readonly acquired: true; readonly value: T } | { readonly acquired: false };

/**
 * Runs `work` only if this process can take the PostgreSQL session advisory lock named `name`
 * (`pg_try_advisory_lock`), so one replica does a periodic job and the others skip it. On PostgreSQL
 * the lock lives on a pool connection held for the duration; on PGlite (one session, where the lock
 * is re-entrant) an in-process guard makes a second concurrent holder skip as well.
 */
export class AdvisoryLocks {
  readonly #heldHere = new Set<string>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly pool: BoundedPool | undefined,
  ) {}

  async tryWithLock<T>(name: string, work: () => Promise<T>): Promise<LockOutcome<T>> {
    const key = lockKey(name);
    if (this.#heldHere.has(key)) return { acquired: false };
    this.#heldHere.add(key);
    try {
      return this.pool ? await this.#onPool(this.pool, key, work) : await this.#onSession(key, work);
    } finally {
      this.#heldHere.delete(key);
    }
  }

  async #onPool<T>(pool: BoundedPool, key: string, work: () => Promise<T>): Promise<LockOutcome<T>> {
    const client = await pool.connect().catch((error: unknown) => {
      throw asDatabaseError(error);
    });
    let broken: Error | undefined;
    try {
      const { rows } = await client
        .query<{ locked: boolean }>('select pg_try_advisory_lock($1::bigint) as locked', [key])
        .catch((error: unknown) => {
          broken = error as Error;
          throw asDatabaseError(error);
        });
      if (!rows[0]?.locked) return { acquired: false };
      try {
        return { acquired: true, value: await work() };
      } finally {
        await client.query('select pg_advisory_unlock($1::bigint)', [key]).catch((error: Error) => {
          // If the unlock fails the connection is dropped below, and the server releases the lock with it.
          broken = error;
        });
      }
    } finally {
      client.release(broken);
    }
  }

  async #onSession<T>(key: string, work: () => Promise<T>): Promise<LockOutcome<T>> {
    const { rows } = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(this.db);
    if (!rows[0]?.locked) return { acquired: false };
    try {
      return { acquired: true, value: await work() };
    } finally {
      await sql`select pg_advisory_unlock(${key}::bigint)`.execute(this.db);
    }
  }
}

/** A stable signed 64-bit key for a lock name, as a decimal string (JavaScript numbers cannot hold it). */
export function lockKey(name: string): string {
  return createHash('sha256').update(`cairn:${name}`).digest().readBigInt64BE(0).toString();
}
