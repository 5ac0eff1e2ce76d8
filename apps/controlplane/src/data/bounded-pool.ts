import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';
import { databaseUnavailable } from './database-errors.js';

/**
 * The pool as kysely sees it, with every query bounded by `timeoutMs`: a PostgreSQL that accepts
 * connections and never answers (hung, or a network that drops packets) costs a call UNAVAILABLE after
 * `timeoutMs` instead of a call that waits for its caller's deadline, and the pool recovers when the
 * server answers again. Getting a connection is bounded by the pool's own `connectionTimeoutMillis`.
 *
 * Why not pg's `query_timeout`: when it fires on a query already sent, pg leaves the connection waiting for
 * an answer that may never come, and the pool hands that connection out again, so every later query on
 * it times out too (brianc/node-postgres#3399). Here the connection is ended instead: pg destroys the
 * socket of a connection with a query in flight, and the pool drops an ended connection when kysely
 * releases it.
 */
export function boundedPool(pool: pg.Pool, timeoutMs: number): BoundedPool {
  return {
    connect: async () => boundedClient(await pool.connect(), timeoutMs),
    end: () => pool.end(),
  };
}

/** kysely's pool, whose clients also take the error that broke them when released (the pool drops them). */
export interface BoundedPool extends PostgresPool {
  connect(): Promise<BoundedClient>;
}

export interface BoundedClient extends PostgresPoolClient {
  release(broken?: Error): void;
}

function boundedClient(client: pg.PoolClient, timeoutMs: number): BoundedClient {
  function query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  function query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters?: readonly unknown[],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // Streams (cursors) are not used by the control plane; they pass through unbounded.
    if (typeof sqlOrCursor !== 'string') return client.query(sqlOrCursor as never) as PostgresCursor<R>;
    const answer = client.query(sqlOrCursor, parameters as unknown[]) as unknown as Promise<
      PostgresQueryResult<R>
    >;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          databaseUnavailable(
            `no answer within ${Number((timeoutMs / 1000).toFixed(1))} s, database.timeoutMs`,
          ),
        );
        // Also fails `answer` ("Connection terminated"), which nobody awaits any more.
        client.end().catch(() => undefined);
      }, timeoutMs);
      answer.then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
  return { query, release: (broken?: Error) => client.release(broken) };
}
