import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../../testing/databases.js';
import { migrateTo, migrateToLatest } from './index.js';

describe.each(DATABASE_KINDS)('migration 0005 (run lifecycle) on %s', (kind) => {
  let database: TestDatabase;
  // biome-ignore lint/suspicious/noExplicitAny: the schema before 0005 is not today's.
  let db: Kysely<any>;
  const org = randomUUID();
  const backend = randomUUID();
  const run = randomUUID();
  const digest = `sha256:${'a'.repeat(64)}`;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    db = database.store.db;
    // Back to 0004 (0005's down), with what a run recorded then, and up again.
    await migrateTo(db, '0004-admin-tokens');
    await sql`insert into organizations (id, name) values (${org}, ${`org-${org.slice(0, 8)}`})`.execute(db);
    await sql`insert into cas_backends (id, org_id, name, provider, location, max_bytes, updated_at)
      values (${backend}, ${org}, 'b', 'filesystem', '/x', 1000, now())`.execute(db);
    await sql`insert into workflow_runs (id, org_id, workflow, project, backend_id, created_at)
      values (${run}, ${org}, 'w', 'p', ${backend}, '2026-01-02T03:04:05Z')`.execute(db);
    await sql`insert into run_materials (run_id, org_id, digest, backend_id, size)
      values (${run}, ${org}, ${digest}, ${backend}, 7)`.execute(db);
    await migrateToLatest(db);
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('names an earlier material by its digest, as an ARTIFACT on its backend, and gives earlier runs 24 h', async () => {
    const [material] = await database.store.runMaterials.list(org, run);
    expect(material).toMatchObject({
      name: digest,
      kind: 'ARTIFACT',
      source: 'cas',
      backendId: backend,
      size: 7,
      annotations: {},
      statementBytes: 0,
    });
    const found = await database.store.workflowRuns.find(org, run);
    expect(found?.expiresAt.toISOString()).toBe('2026-01-03T03:04:05.000Z');
  });

  it('keeps each source with its own field, names unique per run, and finished times on ended runs only', async () => {
    const insert = (values: Record<string, unknown>) =>
      db
        .insertInto('run_materials')
        .values({
          run_id: run,
          org_id: org,
          name: randomUUID(),
          kind: 'ARTIFACT',
          digest,
          size: 1,
          annotations: '{}',
          source: 'cas',
          backend_id: backend,
          statement_bytes: 1,
          ...values,
        })
        .execute();
    const violated = (constraint: string) => expect.objectContaining({ constraint });
    await expect(insert({ source: 'inline' })).rejects.toEqual(violated('run_materials_cas_has_backend'));
    await expect(insert({ source: 'inline', backend_id: null })).rejects.toEqual(
      violated('run_materials_inline_has_content'),
    );
    await expect(insert({ source: 'image', backend_id: null, image_reference: 'r' })).rejects.toEqual(
      violated('run_materials_image_kind'),
    );
    await expect(insert({ kind: 'STRING' })).rejects.toEqual(violated('run_materials_string_inline'));
    await expect(insert({ kind: 'TEXT' })).rejects.toEqual(violated('run_materials_kind'));
    await expect(insert({ name: digest })).rejects.toEqual(violated('run_materials_run_name'));
    await insert({ name: 'fine' });

    await expect(
      sql`update workflow_runs set state = 'failed' where id = ${run}`.execute(db),
    ).rejects.toEqual(violated('workflow_runs_finished_when_ended'));
    await expect(
      sql`update workflow_runs set reset_reason = 'why' where id = ${run}`.execute(db),
    ).rejects.toEqual(violated('workflow_runs_reset_reason'));
  });
});
