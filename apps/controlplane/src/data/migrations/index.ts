import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { Migrator } from 'kysely';
import * as initial from './0001-initial.js';
import * as runsAttestations from './0002-runs-attestations.js';
import * as runMaterials from './0003-run-materials.js';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-runs-attestations': runsAttestations,
  '0003-run-materials': runMaterials,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema up to date. kysely's Migrator takes a PostgreSQL advisory lock for the run, so
 * replicas starting together migrate once; on PGlite the one session serialises it anyway.
 */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed; the database was left at the last good migration`, {
      cause: error,
    });
  }
}
