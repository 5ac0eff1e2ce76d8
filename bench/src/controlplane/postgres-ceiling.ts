import { createHash } from 'node:crypto';
import pg from 'pg';
import { type LoadOptions, type LoadResult, measureLoop } from './load.js';

// The statements the control plane sends for CASCredentialsService.Get when nothing is cached, as kysely
// compiles them (api-token-repo findByHash, cas-backend-repo findDefault).
const TOKEN_BY_HASH = 'select * from "api_tokens" where "token_hash" = $1';
const DEFAULT_BACKEND =
  'select * from "cas_backends" where "org_id" = $1 and "deleted_at" is null and "is_default" = $2';

/**
 * The PostgreSQL ceiling of an uncached Get: `workers` callers each run the call's two queries back to
 * back through one pool of `poolSize` connections (the control plane's database.maxConnections), with
 * node-postgres and nothing else. One "call" here is both queries.
 */
export async function measurePostgresQueries(
  databaseUrl: string,
  apiToken: string,
  workers: number,
  poolSize: number,
  options: LoadOptions,
): Promise<LoadResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => {});
  try {
    const tokenHash = createHash('sha256').update(apiToken, 'utf8').digest('hex');
    const token = await pool.query<{ org_id: string }>(TOKEN_BY_HASH, [tokenHash]);
    const orgId = token.rows[0]?.org_id;
    if (orgId === undefined) throw new Error('the bench API token is not in the database');
    const call = async () => {
      await pool.query(TOKEN_BY_HASH, [tokenHash]);
      await pool.query(DEFAULT_BACKEND, [orgId, true]);
    };
    return await measureLoop(
      Array.from({ length: workers }, () => call),
      options,
    );
  } finally {
    await pool.end();
  }
}
