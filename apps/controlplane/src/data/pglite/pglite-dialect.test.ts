import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGliteDialect } from './pglite-dialect.js';

interface Schema {
  items: { id: string; tx: number; step: number };
}

describe('PGliteDialect', () => {
  let db: Kysely<Schema>;

  beforeAll(async () => {
    db = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite: await PGlite.create() }) });
    await sql`create table items (id text primary key, tx int not null, step int not null)`.execute(db);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('serialises concurrent transactions: a rollback discards only its own writes', async () => {
    const transactions = 24;
    const outcomes = await Promise.allSettled(
      Array.from({ length: transactions }, (_, tx) =>
        db.transaction().execute(async (trx) => {
          for (let step = 0; step < 3; step++) {
            await trx.insertInto('items').values({ id: randomUUID(), tx, step }).execute();
            // Yield to the event loop so that, without the lock, other transactions' statements interleave.
            await sleep(1);
          }
          if (tx % 3 === 0) throw new Error(`transaction ${tx} rolls back on purpose`);
        }),
      ),
    );
    const committed = outcomes.flatMap((outcome, tx) => (outcome.status === 'fulfilled' ? [tx] : []));
    expect(committed).toHaveLength(transactions - Math.ceil(transactions / 3));

    const rows = await db.selectFrom('items').select(['tx']).execute();
    const perTx = new Map<number, number>();
    for (const row of rows) perTx.set(row.tx, (perTx.get(row.tx) ?? 0) + 1);
    expect([...perTx.keys()].sort((a, b) => a - b)).toEqual(committed);
    for (const tx of committed) expect(perTx.get(tx)).toBe(3);
  });

  it('lets single queries wait for a running transaction instead of joining it', async () => {
    const id = randomUUID();
    const transaction = db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id, tx: -1, step: 0 }).execute();
      await sleep(20);
      throw new Error('roll back');
    });
    const outside = db.insertInto('items').values({ id: randomUUID(), tx: -2, step: 0 }).execute();
    await expect(transaction).rejects.toThrow('roll back');
    await outside;
    const rows = await db.selectFrom('items').select('tx').where('tx', 'in', [-1, -2]).execute();
    expect(rows.map((row) => row.tx)).toEqual([-2]);
  });

  it('reports affected rows and supports savepoints', async () => {
    const id = randomUUID();
    await db.insertInto('items').values({ id, tx: -3, step: 0 }).execute();
    const updated = await db.updateTable('items').set({ step: 1 }).where('tx', '=', -3).executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);

    const trx = await db.startTransaction().execute();
    const point = await trx.savepoint('before_insert').execute();
    await point.insertInto('items').values({ id: randomUUID(), tx: -3, step: 2 }).execute();
    await point.rollbackToSavepoint('before_insert').execute();
    await trx.commit().execute();
    const rows = await db.selectFrom('items').select('step').where('tx', '=', -3).execute();
    expect(rows).toEqual([{ step: 1 }]);
  });
});
