import { type Kysely, sql } from 'kysely';

/**
 * The schedule of the keys that sign CAS tokens, shared by every control plane of a deployment: which key
 * signs from when, and when a key stops verifying. The private keys themselves live in the secret store
 * (`secret_ref`), never here.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen in time and must not depend on today's schema types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (col) => col.primaryKey())
    .addColumn('secret_ref', 'text', (col) => col.notNull())
    .addColumn('active_from', 'timestamptz', (col) => col.notNull())
    .addColumn('retire_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'signing_keys_retire_after_activation',
      sql`retire_at is null or retire_at > active_from`,
    )
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('signing_keys').execute();
}
