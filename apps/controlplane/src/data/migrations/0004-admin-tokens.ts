import { type Kysely, sql } from 'kysely';

/**
 * Admin API tokens: instance-wide, so they belong to no organisation. `org_id` becomes nullable for them
 * only: a CHECK ties a null organisation to the `admin` kind and every other kind to an organisation.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_tokens')
    .alterColumn('org_id', (col) => col.dropNotNull())
    .execute();
  // 0001's column check, named by PostgreSQL after its table and column.
  await db.schema.alterTable('api_tokens').dropConstraint('api_tokens_kind_check').execute();
  await db.schema
    .alterTable('api_tokens')
    .addCheckConstraint('api_tokens_kind_check', sql`kind in ('user', 'robot', 'admin')`)
    .execute();
  await db.schema
    .alterTable('api_tokens')
    .addCheckConstraint('api_tokens_admin_has_no_org', sql`(kind = 'admin') = (org_id is null)`)
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('api_tokens').where('kind', '=', 'admin').execute();
  await db.schema.alterTable('api_tokens').dropConstraint('api_tokens_admin_has_no_org').execute();
  await db.schema.alterTable('api_tokens').dropConstraint('api_tokens_kind_check').execute();
  await db.schema
    .alterTable('api_tokens')
    .addCheckConstraint('api_tokens_kind_check', sql`kind in ('user', 'robot')`)
    .execute();
  await db.schema
    .alterTable('api_tokens')
    .alterColumn('org_id', (col) => col.setNotNull())
    .execute();
}
