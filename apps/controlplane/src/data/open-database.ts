import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations/index.js';
import { PGliteDialect } from './pglite/pglite-dialect.js';
import type { DatabaseSchema } from './schema.js';

export type DatabaseConfig =
  | { readonly kind: 'postgres'; readonly url: string; readonly maxConnections?: number }
  /** `dataDir` undefined keeps the database in memory (tests). */
  | { readonly kind: 'pglite'; readonly dataDir?: string };

export interface OpenedDatabase {
  readonly db: Kysely<DatabaseSchema>;
  readonly kind: DatabaseConfig['kind'];
  /** Raw pool for session-scoped work (advisory locks) on PostgreSQL; absent on PGlite. */
  readonly pool?: pg.Pool;
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
    const pool = new pg.Pool({ connectionString: config.url, max: config.maxConnections ?? 10 });
    // An idle client that loses its server emits 'error'; without a listener that would crash the process.
    pool.on('error', () => {});
    const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
    return { db, kind: 'postgres', pool };
  }
  if (config.dataDir !== undefined) await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // No data dir means memory; `memory://` is avoided because it leaves an empty `memory:` folder behind.
  const pglite = config.dataDir === undefined ? await PGlite.create() : await PGlite.create(config.dataDir);
  const db = new Kysely<DatabaseSchema>({ dialect: new PGliteDialect({ pglite }) });
  return { db, kind: 'pglite' };
}
