import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataStore } from '../data/index.js';

/** The local PostgreSQL server the tests use (trust auth); CAIRN_TEST_POSTGRES_URL overrides it. */
export const TEST_POSTGRES_URL =
  process.env.CAIRN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly store: DataStore;
  /** Database URL for a second, independent connection (PostgreSQL only). */
  readonly url?: string;
  drop(): Promise<void>;
}

export type TestDatabaseKind = 'postgres' | 'pglite';

/** Both databases the data layer supports; `describe.each(DATABASE_KINDS)` runs a suite on each. */
export const DATABASE_KINDS: readonly TestDatabaseKind[] = ['postgres', 'pglite'];

/** `cacheTtlMs` turns the store's read cache on (off by default, as tests mostly check the database). */
export async function createTestDatabase(
  kind: TestDatabaseKind,
  options: { cacheTtlMs?: number } = {},
): Promise<TestDatabase> {
  const cacheTtlMs = options.cacheTtlMs ?? 0;
  if (kind === 'pglite') {
    const store = await DataStore.open({ kind: 'pglite', cacheTtlMs });
    return { store, drop: () => store.close() };
  }
  const name = `cairn_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`create database ${name}`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const store = await DataStore.open({ kind: 'postgres', url: url.toString(), cacheTtlMs });
  return {
    store,
    url: url.toString(),
    async drop() {
      await store.close();
      await withAdmin((admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${new URL(TEST_POSTGRES_URL).host}; start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect 15 main start` (or set CAIRN_TEST_POSTGRES_URL)',
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
