import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL the tests use (trust auth; `scripts/ensure-postgres.sh` starts it in CI). */
export const TEST_POSTGRES_URL =
  process.env.CAIRN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  /** A connection of the test's own, to look at the tables directly. */
  readonly client: pg.Client;
  drop(): Promise<void>;
}

/** A database of its own on the test server, dropped (with its connections) by `drop`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `cairn_e2e_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${new URL(TEST_POSTGRES_URL).host}; start it with ` +
        '`bash scripts/ensure-postgres.sh` (or set CAIRN_TEST_POSTGRES_URL)',
      { cause: error },
    );
  }
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return {
    url: url.toString(),
    client,
    async drop() {
      await client.end().catch(() => undefined);
      const again = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await again.connect();
      try {
        await again.query(`drop database if exists ${name} with (force)`);
      } finally {
        await again.end();
      }
    },
  };
}
