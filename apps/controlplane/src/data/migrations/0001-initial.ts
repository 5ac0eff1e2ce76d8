import { type Kysely, sql } from 'kysely';

/** Organisations, API tokens, CAS backends, the digest → backend map and the event log. */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('user', 'robot')`))
    .addColumn('token_hash', 'text', (col) => col.notNull().unique())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_tokens_org').on('api_tokens').column('org_id').execute();

  await db.schema
    .createTable('cas_backends')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('provider', 'text', (col) =>
      col.notNull().check(sql`provider in ('inline', 'oci', 'aws-s3', 'azure-blob', 'filesystem')`),
    )
    .addColumn('location', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('is_default', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('is_fallback', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('validation_status', 'text', (col) =>
      col.notNull().defaultTo('pending').check(sql`validation_status in ('pending', 'ok', 'failed')`),
    )
    .addColumn('validation_error', 'text')
    .addColumn('validated_at', 'timestamptz')
    .addColumn('max_bytes', 'bigint', (col) => col.notNull().check(sql`max_bytes > 0`))
    .addColumn('secret_ref', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .addCheckConstraint('cas_backends_not_default_and_fallback', sql`not (is_default and is_fallback)`)
    .addCheckConstraint(
      'cas_backends_deleted_is_neither',
      sql`deleted_at is null or (not is_default and not is_fallback)`,
    )
    .execute();
  await db.schema
    .createIndex('cas_backends_live_name')
    .on('cas_backends')
    .columns(['org_id', 'name'])
    .unique()
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('cas_backends_one_default')
    .on('cas_backends')
    .column('org_id')
    .unique()
    .where(sql<boolean>`is_default and deleted_at is null`)
    .execute();
  await db.schema
    .createIndex('cas_backends_one_fallback')
    .on('cas_backends')
    .column('org_id')
    .unique()
    .where(sql<boolean>`is_fallback and deleted_at is null`)
    .execute();

  await db.schema
    .createTable('blob_locations')
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('digest', 'text', (col) => col.notNull())
    .addColumn('backend_id', 'uuid', (col) => col.notNull().references('cas_backends.id'))
    .addColumn('size', 'bigint', (col) => col.notNull().check(sql`size >= 0`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('blob_locations_org_digest_backend', ['org_id', 'digest', 'backend_id'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('org_id', 'uuid', (col) => col.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('subject_id', 'text', (col) => col.notNull())
    .addColumn('data', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('events_org_time').on('events').columns(['org_id', 'created_at']).execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['events', 'blob_locations', 'cas_backends', 'api_tokens', 'organizations']) {
    await db.schema.dropTable(table).execute();
  }
}
