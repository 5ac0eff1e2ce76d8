import { sql } from 'kysely';
import type { DataStore } from '../data/index.js';

/**
 * Every place in the database where one of `needles` occurs: each text-like column (text, varchar, json,
 * jsonb) and each bytea column of every table in the public schema, searched in full.
 */
export async function findInDatabase(store: DataStore, needles: readonly string[]): Promise<string[]> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select table_name, column_name, data_type from information_schema.columns
    where table_schema = 'public'
      and data_type in ('text', 'character varying', 'json', 'jsonb', 'bytea', 'character')`.execute(
    store.db,
  );
  const hits: string[] = [];
  for (const column of columns) {
    const value =
      column.data_type === 'bytea'
        ? sql`encode(${sql.ref(column.column_name)}, 'escape')`
        : sql`${sql.ref(column.column_name)}::text`;
    for (const needle of needles) {
      const { rows } = await sql<{ count: string | number }>`
        select count(*) as count from ${sql.table(column.table_name)} where strpos(${value}, ${needle}) > 0`.execute(
        store.db,
      );
      if (Number(rows[0]?.count ?? 0) > 0) hits.push(`${column.table_name}.${column.column_name}`);
    }
  }
  return hits;
}
