import { silentLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataStore } from '../data/index.js';
import { type CoreHarness, createCoreHarness } from '../testing/core-harness.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { ValidationScheduler } from './validation-scheduler.js';

describe('background validation on PostgreSQL replicas', () => {
  let database: TestDatabase;
  let replica: DataStore;
  let h: CoreHarness;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    replica = await DataStore.open({ kind: 'postgres', url: database.url ?? '' });
    h = await createCoreHarness(database.store);
  });

  afterAll(async () => {
    await h?.close();
    await replica?.close();
    await database?.drop();
  });

  it('checks each due backend once per tick across replicas, and what is checked is not due again', async () => {
    const { principal } = await h.newOrganization();
    for (const name of ['a', 'b', 'c']) {
      await h.core.backends.create(
        principal,
        { name, provider: 'filesystem', location: await h.newBackendDir(), credentials: {} },
        AbortSignal.timeout(60_000),
      );
    }
    const schedule = {
      primaryIntervalMs: 60_000,
      failedIntervalMs: 60_000,
      allIntervalMs: 60_000,
      tickMs: 10,
      batchSize: 1000,
    };
    // Last checked two minutes ago, so every backend of the organisation is due.
    await h.store.db
      .updateTable('cas_backends')
      .set({ validated_at: new Date(Date.now() - 120_000) })
      .where('org_id', '=', principal.orgId)
      .execute();
    const onPrimary = new ValidationScheduler(h.store, h.core.validator, silentLogger, schedule);
    const onReplica = new ValidationScheduler(replica, h.core.validator, silentLogger, schedule);
    const [first, second] = await Promise.all([
      onPrimary.runDue(AbortSignal.timeout(60_000)),
      onReplica.runDue(AbortSignal.timeout(60_000)),
    ]);
    const ran = [first, second].filter((run) => run.ran);
    const mine = (run: typeof first) => run.checked.filter((backend) => backend.orgId === principal.orgId);
    // Either one replica took the lock and the other skipped, or they ran one after the other and the
    // second found nothing due: each backend is checked exactly once.
    const checkedIds = ran.flatMap(mine).map((backend) => backend.id);
    expect(new Set(checkedIds).size).toBe(3);
    expect(checkedIds).toHaveLength(3);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    const again = await onPrimary.runDue(AbortSignal.timeout(60_000));
    expect(mine(again)).toEqual([]);
  });

  it('rechecks a failed default or fallback sooner than a passing one, and other failed backends not', async () => {
    const { principal } = await h.newOrganization();
    const signal = AbortSignal.timeout(60_000);
    const made = {} as Record<string, string>;
    for (const [name, flags] of [
      ['failed-default', { isDefault: true }],
      ['failed-other', {}],
      ['passing-fallback', { isFallback: true }],
    ] as const) {
      const backend = await h.core.backends.create(
        principal,
        { name, provider: 'filesystem', location: await h.newBackendDir(), credentials: {}, ...flags },
        signal,
      );
      made[name] = backend.id;
    }
    const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000);
    await h.store.db
      .updateTable('cas_backends')
      .set({ validated_at: fiveMinutesAgo, validation_status: 'failed', validation_error: 'a CAS outage' })
      .where('id', 'in', [made['failed-default'] ?? '', made['failed-other'] ?? ''])
      .execute();
    await h.store.db
      .updateTable('cas_backends')
      .set({ validated_at: fiveMinutesAgo })
      .where('id', '=', made['passing-fallback'] ?? '')
      .execute();
    const scheduler = new ValidationScheduler(h.store, h.core.validator, silentLogger, {
      primaryIntervalMs: 30 * 60_000,
      failedIntervalMs: 2 * 60_000,
      allIntervalMs: 24 * 3600_000,
      tickMs: 10,
      batchSize: 1000,
    });
    const run = await scheduler.runDue(signal);
    const mine = run.checked.filter((backend) => backend.orgId === principal.orgId);
    expect(mine.map((backend) => backend.name)).toEqual(['failed-default']);
    expect(mine[0]?.validationStatus).toBe('ok');
  });
});
