import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneClient } from '@cairn/controlplane-client';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cas.js';
import { cleanUp } from '../support/clean-up.js';
import { type DatabaseControlPlane, startDatabaseControlPlane } from '../support/database-controlplane.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { recordFigures } from '../support/figures.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/** The control plane's bound on a connection and on each query (`database.timeoutMs`). */
const DATABASE_TIMEOUT_MS = 1_500;
/** The client's deadline: a call the control plane lets hang shows as DEADLINE_EXCEEDED, which fails. */
const CALL_DEADLINE_MS = 10_000;
/** More calls at once than the pool has connections, so some wait for a connection that never comes. */
const CALLS = 6;
const POOL = 3;

/** Repeats `call` while it fails UNAVAILABLE, for at most CALL_DEADLINE_MS; any other failure fails the test. */
async function untilServed<T>(call: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  for (;;) {
    try {
      return await call();
    } catch (error) {
      expect(CairnError.from(error).code).toBe(Code.Unavailable);
      if (performance.now() - startedAt >= CALL_DEADLINE_MS) {
        throw new Error(`the control plane did not serve within ${CALL_DEADLINE_MS} ms`, { cause: error });
      }
      await sleep(200);
    }
  }
}

/**
 * Issue 14, part 2: PostgreSQL hung — it keeps its connections open and accepts new ones, but answers
 * nothing (a stalled TCP relay in front of the test server stands in for it). Every call that needs the
 * database gets UNAVAILABLE naming the database within the control plane's bound, never a hang until the
 * caller's deadline; when PostgreSQL answers again, the same control plane serves calls without a restart.
 */
describe('PostgreSQL hung', () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let dir: { path: string; remove: () => Promise<void> };
  let running: DatabaseControlPlane | undefined;
  let client: ControlPlaneClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await startFaultProxy(`${url.hostname}:${url.port || '5432'}`);
    url.host = proxy.address;
    dir = await tempDir('pg-hung');
    running = await startDatabaseControlPlane({
      url: url.toString(),
      dir: dir.path,
      database: { maxConnections: POOL, timeoutMs: DATABASE_TIMEOUT_MS, cacheTtlMs: 0 },
      callDeadlineMs: CALL_DEADLINE_MS,
    });
    client = running.client;
  });

  afterAll(() =>
    cleanUp(
      () => proxy?.restore(),
      () => running?.close(),
      () => proxy?.close(),
      () => database?.drop(),
      () => dir?.remove(),
    ),
  );

  it('answers UNAVAILABLE within its bound while the database hangs, and serves again once it answers', async () => {
    // Before the fault: a loaded machine can take longer than the 1.5 s bound to open the first connections
    // (a CI run did), which is UNAVAILABLE like any other slow connect; the test needs them open, not fast.
    await untilServed(() => client.initRun({ workflow: 'before' }));
    expect((await untilServed(() => client.listRuns({ pageSize: 5 }))).runs.length).toBe(1);

    await proxy.fail('stalled');
    const startedAt = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: CALLS }, (_, index) =>
        (index % 2 === 0
          ? client.listRuns({ pageSize: 5 })
          : client.initRun({ workflow: `w-${index}` })
        ).then(
          () => ({ code: 'ok' as const, message: '', ms: performance.now() - startedAt }),
          (error: unknown) => {
            const failure = CairnError.from(error);
            return { code: failure.code, message: failure.message, ms: performance.now() - startedAt };
          },
        ),
      ),
    );
    for (const outcome of outcomes) {
      expect(outcome.code, outcome.message).toBe(Code.Unavailable);
      expect(outcome.message).toMatch(/database/);
    }
    // A call waits at most the bound for a connection and the bound for its query, then some slack.
    const slowestMs = Math.max(...outcomes.map((outcome) => outcome.ms));
    expect(slowestMs).toBeLessThan(2 * DATABASE_TIMEOUT_MS + 2_000);

    await proxy.restore();
    const restoredAt = performance.now();
    await untilServed(() => client.listRuns({ pageSize: 5 }));
    const recoveredMs = performance.now() - restoredAt;
    // Every connection works again, not only one: more calls at once than the pool holds.
    const after = await Promise.all(
      Array.from({ length: CALLS }, (_, index) => client.initRun({ workflow: `after-${index}` })),
    );
    expect(after).toHaveLength(CALLS);

    recordFigures('PostgreSQL hung', {
      calls: CALLS,
      pool: POOL,
      boundMs: DATABASE_TIMEOUT_MS,
      fastestUnavailableMs: Math.round(Math.min(...outcomes.map((outcome) => outcome.ms))),
      slowestUnavailableMs: Math.round(slowestMs),
      servedAgainAfterMs: Math.round(recoveredMs),
    });
  });
});
