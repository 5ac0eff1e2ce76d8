import { type Kysely, sql } from 'kysely';

/** Workflow runs and their attestations; each records the backend its evidence went to. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workflow_runs')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('workflow', 'text', (col) => col.notNull())
    .addColumn('project', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) =>
      col
        .notNull()
        .defaultTo('initialized')
        .check(sql`state in ('initialized', 'succeeded', 'failed', 'cancelled', 'expired')`),
    )
    .addColumn('backend_id', 'uuid', (col) => col.notNull().references('cas_backends.id'))
    .addColumn('backend_is_fallback', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('workflow_runs_org_time')
    .on('workflow_runs')
    .columns(['org_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('attestations')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('run_id', 'uuid', (col) => col.notNull().references('workflow_runs.id').onDelete('cascade'))
    .addColumn('digest', 'text', (col) => col.notNull())
    .addColumn('bundle', 'bytea')
    .addColumn('size', 'bigint', (col) => col.notNull().check(sql`size >= 0`))
    .addColumn('backend_id', 'uuid', (col) => col.notNull().references('cas_backends.id'))
    .addColumn('backend_is_fallback', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('stored_in_cas_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('attestations_org_digest', ['org_id', 'digest'])
    .execute();
  await db.schema.createIndex('attestations_run').on('attestations').column('run_id').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('attestations').execute();
  await db.schema.dropTable('workflow_runs').execute();
}
