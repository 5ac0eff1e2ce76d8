import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The local PostgreSQL server the tests use (trust auth); CAIRN_TEST_POSTGRES_URL overrides it. */
const SERVER_URL = process.env.CAIRN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestPostgresDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh database on the test server, for one control plane; a server that is not running fails the test. */
export async function createTestPostgresDatabase(): Promise<TestPostgresDatabase> {
  const name = `cairn_cli_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
