import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator } from 'kysely';
import * as initial from './0001-initial.js';
import * as runsAttestations from './0002-runs-attestations.js';
import * as runMaterials from './0003-run-materials.js';
import * as adminTokens from './0004-admin-tokens.js';
import * as runLifecycle from './0005-run-lifecycle.js';
import * as signingKeys from './0006-signing-keys.js';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-runs-attestations': runsAttestations,
  '0003-run-materials': runMaterials,
  '0004-admin-tokens': adminTokens,
  '0005-run-lifecycle': runLifecycle,
  '0006-signing-keys': signingKeys,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema up to date. kysely's Migrator takes a PostgreSQL advisory lock for the run, so
 * replicas starting together migrate once; on PGlite the one session serialises it anyway.
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  await migrate(db, (migrator) => migrator.migrateToLatest());
}

/** Brings the schema to exactly `name` (up or down): tests of a migration over data the one before left. */
export async function migrateTo(db: Kysely<unknown>, name: string): Promise<void> {
  if (!(name in migrations)) throw new Error(`there is no migration ${name}`);
  await migrate(db, (migrator) => migrator.migrateTo(name));
}

async function migrate(
  db: Kysely<unknown>,
  run: (migrator: Migrator) => ReturnType<Migrator['migrateToLatest']>,
): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await run(migrator);
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed; the database was left at the last good migration`, {
      cause: error,
    });
  }
}
