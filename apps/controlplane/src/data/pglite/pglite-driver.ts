import type { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, type DatabaseConnection, type Driver, type TransactionSettings } from 'kysely';
import { Mutex } from './mutex.js';
import { PGliteConnection } from './pglite-connection.js';

/**
 * A kysely driver for PGlite. PGlite has exactly one session, so the driver lends its one connection to
 * one holder at a time: a single query holds it for that query, a transaction from BEGIN to COMMIT or
 * ROLLBACK. Without this lock two transactions would share the session and a ROLLBACK of one would
 * discard the other's writes.
 *
 * Consequence for callers: inside a transaction, use the transaction object only. Reaching for the
 * outer `Kysely` there waits for the lock the transaction itself holds, forever.
 */
export class PGliteDriver implements Driver {
  readonly #mutex = new Mutex();
  readonly #connection: PGliteConnection;
  #release: (() => void) | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly options: { closeOnDestroy: boolean; afterClose?: () => Promise<void> },
  ) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // The lock admits one holder at a time, so there is never more than one release pending.
    this.#release = await this.#mutex.acquire();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin';
    if (settings.isolationLevel) statement += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) statement += ` ${settings.accessMode}`;
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${savepointName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${savepointName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${savepointName(name)}`));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    const release = await this.#mutex.acquire();
    try {
      if (this.options.closeOnDestroy) {
        try {
          if (!this.pglite.closed) await this.pglite.close();
        } finally {
          await this.options.afterClose?.();
        }
      }
    } finally {
      release();
    }
  }
}

function savepointName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${name}" is not a valid savepoint name`);
  return name;
}
