import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { type BoundedPool, boundedPool } from './bounded-pool.js';
import { withDatabaseErrors } from './database-errors.js';
import { migrateToLatest } from './migrations/index.js';
import { lockPGliteDirectory } from './pglite/data-dir-lock.js';
import { PGliteDialect } from './pglite/pglite-dialect.js';
import type { DatabaseSchema } from './schema.js';

/** Longest wait for a connection and for each query's answer when `timeoutMs` is not given. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 10_000;

export type DatabaseConfig =
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly maxConnections?: number;
      /** Longest wait for a connection and for each query's answer (default 10 s); see boundedPool. */
      readonly timeoutMs?: number;
    }
  /** `dataDir` undefined keeps the database in memory (tests). */
  | { readonly kind: 'pglite'; readonly dataDir?: string };

export interface OpenedDatabase {
  readonly db: Kysely<DatabaseSchema>;
  readonly kind: DatabaseConfig['kind'];
  /** Raw pool for session-scoped work (advisory locks) on PostgreSQL; absent on PGlite. */
  readonly pool?: BoundedPool;
}

/** Connects (or opens the embedded database) and migrates it to the latest schema. */
export async function openDatabase(config: DatabaseConfig): Promise<OpenedDatabase> {
  const opened = await connect(config);
  try {
    await migrateToLatest(opened.db as Kysely<unknown>);
  } catch (error) {
    await opened.db.destroy();
    throw error;
  }
  return opened;
}

async function connect(config: DatabaseConfig): Promise<OpenedDatabase> {
  if (config.kind === 'postgres') {
    const timeoutMs = config.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.maxConnections ?? 10,
      connectionTimeoutMillis: timeoutMs,
    });
    // An idle client that loses its server emits 'error'; without a listener that would crash the process.
    pool.on('error', () => {});
    // So does a checked-out one between queries (inside a transaction, or holding an advisory lock), and
    // the pool listens only to idle ones. Its queries fail on their own; the pool drops it on release.
    pool.on('connect', (client) => client.on('error', () => {}));
    const bounded = boundedPool(pool, timeoutMs);
    const db = new Kysely<DatabaseSchema>({
      dialect: withDatabaseErrors(new PostgresDialect({ pool: bounded })),
    });
    return { db, kind: 'postgres', pool: bounded };
  }
  if (config.dataDir === undefined) {
    // No data dir means memory; `memory://` is avoided because it leaves an empty `memory:` folder behind.
    const db = new Kysely<DatabaseSchema>({ dialect: new PGliteDialect({ pglite: await PGlite.create() }) });
    return { db, kind: 'pglite' };
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // Before PGlite reads a byte: a folder another process has open is refused, not opened a second time.
  const lock = await lockPGliteDirectory(config.dataDir);
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(config.dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const db = new Kysely<DatabaseSchema>({
    dialect: new PGliteDialect({ pglite, afterClose: () => lock.release() }),
  });
  return { db, kind: 'pglite' };
}
