import { type Kysely, sql } from 'kysely';

/**
 * Materials recorded against a run; one attestation per run (a retried Store finds the first); a flag,
 * indexed, for bundles the database holds that still wait for their background copy to the CAS.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('run_materials')
    .addColumn('run_id', 'uuid', (col) => col.notNull().references('workflow_runs.id').onDelete('cascade'))
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('digest', 'text', (col) => col.notNull())
    .addColumn('backend_id', 'uuid', (col) => col.notNull().references('cas_backends.id'))
    .addColumn('size', 'bigint', (col) => col.notNull().check(sql`size >= 0`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('run_materials_pkey', ['run_id', 'digest'])
    .execute();

  await db.schema
    .createIndex('attestations_one_per_run')
    .on('attestations')
    .column('run_id')
    .unique()
    .execute();
  await db.schema
    .alterTable('attestations')
    .addColumn('cas_copy_pending', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createIndex('attestations_cas_copy_pending')
    .on('attestations')
    .column('created_at')
    .where(sql.ref('cas_copy_pending'), '=', true)
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('attestations_cas_copy_pending').execute();
  await db.schema.alterTable('attestations').dropColumn('cas_copy_pending').execute();
  await db.schema.dropIndex('attestations_one_per_run').execute();
  await db.schema.dropTable('run_materials').execute();
}
