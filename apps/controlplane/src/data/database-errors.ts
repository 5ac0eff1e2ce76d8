import { CairnError, Code } from '@cairn/errors';
import type {
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';

/** Errno codes of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** How `pg` words a connection it lost or could not get, where it gives no code. */
const LOST_CONNECTION =
  /Connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout/i;

/**
 * Why the database cannot be used right now, when `error` says so: a refused or lost connection, or
 * PostgreSQL refusing sessions (connection_exception 08xxx, admin_shutdown and crash_shutdown 57P01/57P02
 * while it stops, cannot_connect_now 57P03 while it starts, too_many_connections 53300). Undefined for
 * every other error, SQL errors included (a unique violation must reach its caller as it is).
 */
export function unavailableBecause(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (NETWORK_CODES.has(code)) return `connection lost: ${code}`;
    if (code === '57P01' || code === '57P02') return 'PostgreSQL ended the session as it shut down';
    if (code === '57P03') return 'PostgreSQL is starting up or shutting down';
    if (code === '53300') return 'PostgreSQL has no connection slot left';
    if (code.startsWith('08')) return `connection failure ${code}`;
  }
  if (LOST_CONNECTION.test(error.message)) return 'connection lost';
  return undefined;
}

/**
 * A database that cannot be reached or is restarting, as the callers of the control plane should hear it:
 * UNAVAILABLE (worth retrying), never the INTERNAL an unknown error becomes. Any other error is returned
 * unchanged.
 */
export function asDatabaseError(error: unknown): unknown {
  if (error instanceof CairnError) return error;
  const because = unavailableBecause(error);
  if (because === undefined) return error;
  return databaseUnavailable(because, error);
}

/** UNAVAILABLE for a database that cannot be used now, saying `because`. */
export function databaseUnavailable(because: string, cause?: unknown): CairnError {
  return new CairnError(
    Code.Unavailable,
    `the control plane's database is unavailable (${because}); retry in a moment, and if it lasts, its operator should check that PostgreSQL is running and reachable`,
    { ...(cause === undefined ? {} : { cause }), details: { reason: 'database_unavailable' } },
  );
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asDatabaseError(error);
  }
}

/**
 * A kysely dialect whose every query, transaction step and connection maps database outages through
 * `asDatabaseError`: the edge where the control plane meets PostgreSQL.
 */
export function withDatabaseErrors(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new MappedDriver(dialect.createDriver()),
  };
}

class MappedDriver implements Driver {
  readonly #inner: Driver;
  /** The driver's own connection behind each one handed out (its release needs the original). */
  readonly #originals = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return mapped(() => this.#inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await mapped(() => this.#inner.acquireConnection());
    const handedOut: DatabaseConnection = {
      executeQuery: <R>(query: Parameters<DatabaseConnection['executeQuery']>[0]): Promise<QueryResult<R>> =>
        mapped(() => connection.executeQuery<R>(query)),
      streamQuery: <R>(query: Parameters<DatabaseConnection['streamQuery']>[0], chunkSize?: number) =>
        mappedStream(connection.streamQuery<R>(query, chunkSize)),
    };
    this.#originals.set(handedOut, connection);
    return handedOut;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return mapped(() => this.#inner.beginTransaction(this.#original(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return mapped(() => this.#inner.commitTransaction(this.#original(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return mapped(() => this.#inner.rollbackTransaction(this.#original(connection)));
  }

  async savepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await mapped(async () => this.#inner.savepoint?.(this.#original(connection), name, compile));
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await mapped(async () => this.#inner.rollbackToSavepoint?.(this.#original(connection), name, compile));
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    await mapped(async () => this.#inner.releaseSavepoint?.(this.#original(connection), name, compile));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(this.#original(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }

  #original(connection: DatabaseConnection): DatabaseConnection {
    return this.#originals.get(connection) ?? connection;
  }
}

async function* mappedStream<R>(
  results: AsyncIterableIterator<QueryResult<R>>,
): AsyncIterableIterator<QueryResult<R>> {
  try {
    yield* results;
  } catch (error) {
    throw asDatabaseError(error);
  }
}
