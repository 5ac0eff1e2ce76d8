import { sql } from 'kysely';
import type { Executor } from './executor.js';

/** A row of the signing-key schedule. */
export interface ScheduledSigningKey {
  readonly kid: string;
  readonly secretRef: string;
  readonly activeFrom: Date;
  readonly retireAt: Date | null;
}

export class SigningKeyRepo {
  constructor(private readonly db: Executor) {}

  /** Every key that has not been retired at `now` yet, the latest to sign first. */
  async live(now: Date): Promise<ScheduledSigningKey[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('retire_at', 'is', null), eb('retire_at', '>', now)]))
      .orderBy('active_from', 'desc')
      .execute();
    return rows.map((row) => ({
      kid: row.kid,
      secretRef: row.secret_ref,
      activeFrom: new Date(row.active_from),
      retireAt: row.retire_at === null ? null : new Date(row.retire_at),
    }));
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('signing_keys')
      .select((eb) => eb.fn.countAll<string | number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** The database's clock, so every replica schedules against one. */
  async now(): Promise<Date> {
    const { rows } = await sql<{ now: Date | string }>`select now() as now`.execute(this.db);
    return new Date(rows[0]?.now ?? Date.now());
  }

  async insert(key: ScheduledSigningKey): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({
        kid: key.kid,
        secret_ref: key.secretRef,
        active_from: key.activeFrom,
        retire_at: key.retireAt,
      })
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
  }

  /** Schedules the retirement of every key that has none yet, other than `except`. */
  async retireOthers(except: string, at: Date): Promise<string[]> {
    const rows = await this.db
      .updateTable('signing_keys')
      .set({ retire_at: at })
      .where('kid', '!=', except)
      .where('retire_at', 'is', null)
      .returning('kid')
      .execute();
    return rows.map((row) => row.kid);
  }
}
