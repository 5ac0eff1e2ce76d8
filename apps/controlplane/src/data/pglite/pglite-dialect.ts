import type { PGlite } from '@electric-sql/pglite';
import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
} from 'kysely';
import { PGliteDriver } from './pglite-driver.js';

export interface PGliteDialectConfig {
  readonly pglite: PGlite;
  /** Close the PGlite instance when the Kysely instance is destroyed (default true). */
  readonly closeOnDestroy?: boolean;
  /** With closeOnDestroy: runs once the instance is closed, even if closing failed (frees its folder). */
  readonly afterClose?: () => Promise<void>;
}

/** PostgreSQL's SQL, adapter and introspection over an embedded PGlite, with a serialising driver. */
export class PGliteDialect implements Dialect {
  constructor(private readonly config: PGliteDialectConfig) {}

  createDriver(): Driver {
    const { afterClose } = this.config;
    return new PGliteDriver(this.config.pglite, {
      closeOnDestroy: this.config.closeOnDestroy ?? true,
      ...(afterClose ? { afterClose } : {}),
    });
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: kysely's Dialect interface types the instance as Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
