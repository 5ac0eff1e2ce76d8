import { type Kysely, sql } from 'kysely';

/**
 * The run lifecycle and materials recorded in full.
 *
 * `workflow_runs` gains the runner the CLI detected at init, the reason of a reset and the moment the run
 * expires unless pushed (runs before this migration get their creation + 24 h); a finished time exactly
 * when the run is no longer `initialized`, and a reset reason only on failed or cancelled runs.
 *
 * `run_materials` becomes one row per named material, in the order added (`seq`), with its kind,
 * annotations, file name and one source: `cas` (a blob on a backend), `inline` (the content, kept here)
 * or `image` (a registry reference). `statement_bytes` is what the material takes in the run's attestation
 * statement, summed to keep the bundle under its cap. Materials recorded before this migration were CAS
 * blobs without a name: each is named by its digest, of kind ARTIFACT.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('workflow_runs')
    .addColumn('runner_type', 'text')
    .addColumn('runner_url', 'text')
    .addColumn('reset_reason', 'text')
    .addColumn('expires_at', 'timestamptz')
    .execute();
  await sql`update workflow_runs set expires_at = created_at + interval '1 day'`.execute(db);
  await db.schema
    .alterTable('workflow_runs')
    .alterColumn('expires_at', (col) => col.setNotNull())
    .execute();
  await db.schema
    .alterTable('workflow_runs')
    .addCheckConstraint(
      'workflow_runs_finished_when_ended',
      sql`(state = 'initialized') = (finished_at is null)`,
    )
    .execute();
  await db.schema
    .alterTable('workflow_runs')
    .addCheckConstraint(
      'workflow_runs_reset_reason',
      sql`reset_reason is null or state in ('failed', 'cancelled')`,
    )
    .execute();
  await db.schema
    .createIndex('workflow_runs_expiry')
    .on('workflow_runs')
    .column('expires_at')
    .where(sql.ref('state'), '=', 'initialized')
    .execute();

  await db.schema.alterTable('run_materials').dropConstraint('run_materials_pkey').execute();
  await db.schema
    .alterTable('run_materials')
    .addColumn('seq', 'bigint', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('name', 'text')
    .addColumn('kind', 'text', (col) => col.notNull().defaultTo('ARTIFACT'))
    .addColumn('annotations', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('file_name', 'text')
    .addColumn('source', 'text', (col) => col.notNull().defaultTo('cas'))
    .addColumn('content', 'bytea')
    .addColumn('image_reference', 'text')
    .addColumn('statement_bytes', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();
  await sql`update run_materials set name = digest`.execute(db);
  await db.schema
    .alterTable('run_materials')
    .alterColumn('name', (col) => col.setNotNull())
    .alterColumn('kind', (col) => col.dropDefault())
    .alterColumn('source', (col) => col.dropDefault())
    .alterColumn('statement_bytes', (col) => col.dropDefault())
    .alterColumn('backend_id', (col) => col.dropNotNull())
    .execute();
  const checks: Array<[string, ReturnType<typeof sql>]> = [
    [
      'run_materials_kind',
      sql`kind in ('ARTIFACT', 'STRING', 'SBOM_CYCLONEDX_JSON', 'SBOM_SPDX_JSON', 'JUNIT_XML', 'SARIF', 'OPENVEX', 'EVIDENCE', 'CONTAINER_IMAGE')`,
    ],
    ['run_materials_source', sql`source in ('cas', 'inline', 'image')`],
    ['run_materials_cas_has_backend', sql`(source = 'cas') = (backend_id is not null)`],
    ['run_materials_inline_has_content', sql`(source = 'inline') = (content is not null)`],
    ['run_materials_image_has_reference', sql`(source = 'image') = (image_reference is not null)`],
    ['run_materials_image_kind', sql`(source = 'image') = (kind = 'CONTAINER_IMAGE')`],
    ['run_materials_string_inline', sql`kind <> 'STRING' or source = 'inline'`],
    ['run_materials_statement_bytes', sql`statement_bytes >= 0`],
  ];
  for (const [name, check] of checks) {
    await db.schema.alterTable('run_materials').addCheckConstraint(name, check).execute();
  }
  await db.schema
    .alterTable('run_materials')
    .addUniqueConstraint('run_materials_run_name', ['run_id', 'name'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  // 0004's table holds CAS blobs only, once per digest: the other materials cannot be kept.
  await db.deleteFrom('run_materials').where('source', '<>', 'cas').execute();
  await sql`delete from run_materials a using run_materials b
    where a.run_id = b.run_id and a.digest = b.digest and a.seq > b.seq`.execute(db);
  await db.schema.alterTable('run_materials').dropConstraint('run_materials_run_name').execute();
  for (const name of [
    'run_materials_kind',
    'run_materials_source',
    'run_materials_cas_has_backend',
    'run_materials_inline_has_content',
    'run_materials_image_has_reference',
    'run_materials_image_kind',
    'run_materials_string_inline',
    'run_materials_statement_bytes',
  ]) {
    await db.schema.alterTable('run_materials').dropConstraint(name).execute();
  }
  await db.schema
    .alterTable('run_materials')
    .dropColumn('seq')
    .dropColumn('name')
    .dropColumn('kind')
    .dropColumn('annotations')
    .dropColumn('file_name')
    .dropColumn('source')
    .dropColumn('content')
    .dropColumn('image_reference')
    .dropColumn('statement_bytes')
    .alterColumn('backend_id', (col) => col.setNotNull())
    .execute();
  await db.schema
    .alterTable('run_materials')
    .addPrimaryKeyConstraint('run_materials_pkey', ['run_id', 'digest'])
    .execute();

  await db.schema.dropIndex('workflow_runs_expiry').execute();
  await db.schema.alterTable('workflow_runs').dropConstraint('workflow_runs_reset_reason').execute();
  await db.schema.alterTable('workflow_runs').dropConstraint('workflow_runs_finished_when_ended').execute();
  await db.schema
    .alterTable('workflow_runs')
    .dropColumn('runner_type')
    .dropColumn('runner_url')
    .dropColumn('reset_reason')
    .dropColumn('expires_at')
    .execute();
}
