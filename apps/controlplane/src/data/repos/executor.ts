import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../schema.js';

/** The database or a transaction: repositories run on either. */
export type Executor = Kysely<DatabaseSchema>;
