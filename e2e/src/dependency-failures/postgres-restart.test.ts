import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneClient } from '@cairn/controlplane-client';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cas.js';
import { cleanUp } from '../support/clean-up.js';
import { type DatabaseControlPlane, startDatabaseControlPlane } from '../support/database-controlplane.js';
import { recordFigures } from '../support/figures.js';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.js';

/** Clients calling at once, each one call after another. */
const WORKERS = 8;
/** How long PostgreSQL stays down between its stop and its start. */
const DOWN_MS = 1_000;
/** A deadline on every call: a call that hangs shows as DEADLINE_EXCEEDED, which the test refuses. */
const CALL_DEADLINE_MS = 10_000;

interface CallRecord {
  readonly operation: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly code: Code | 'ok';
  readonly message: string;
}

/**
 * Issue 14, part 2: PostgreSQL restarted under load. A private cluster the test owns (initdb, pg_ctl);
 * the control plane runs on it while clients start runs, add materials and list runs without pause;
 * PostgreSQL is stopped (`-m fast`: sessions terminated) and started again. Calls caught by the restart
 * must fail with UNAVAILABLE, never INTERNAL or a hang; the pool must reconnect by itself, and calls succeed
 * afterwards with the same control plane process.
 */
describe('PostgreSQL restarted under load', () => {
  let postgres: PrivatePostgres;
  let dir: { path: string; remove: () => Promise<void> };
  let running: DatabaseControlPlane | undefined;
  let client: ControlPlaneClient;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    dir = await tempDir('pg-restart');
    running = await startDatabaseControlPlane({
      url: postgres.url,
      dir: dir.path,
      database: { maxConnections: 4 },
      callDeadlineMs: CALL_DEADLINE_MS,
    });
    client = running.client;
  });

  afterAll(() =>
    cleanUp(
      () => running?.close(),
      () => postgres?.remove(),
      () => dir?.remove(),
    ),
  );

  it('calls caught by the restart get UNAVAILABLE naming the database; the pool reconnects; calls succeed after it', async () => {
    const records: CallRecord[] = [];
    let running = true;
    const timed = async (operation: string, call: () => Promise<unknown>) => {
      const startedAt = performance.now();
      try {
        await call();
        records.push({ operation, startedAt, endedAt: performance.now(), code: 'ok', message: '' });
        return true;
      } catch (error) {
        const failure = CairnError.from(error);
        records.push({
          operation,
          startedAt,
          endedAt: performance.now(),
          code: failure.code,
          message: failure.message,
        });
        return false;
      }
    };
    const worker = async (index: number) => {
      for (let round = 0; running; round++) {
        let runId: string | undefined;
        await timed('initRun', async () => {
          runId = (await client.initRun({ workflow: `load-${index}` })).id;
        });
        if (runId !== undefined) {
          const id = runId;
          await timed('addMaterial', () =>
            client.addMaterial(id, {
              name: `m-${round}`,
              kind: 'STRING',
              source: { inline: `value ${round}` },
            }),
          );
        }
        await timed('listRuns', () => client.listRuns({ pageSize: 5 }));
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, index) => worker(index));
    await sleep(1_000);
    const stoppingAt = performance.now();
    await postgres.stopServer();
    const downAt = performance.now();
    await sleep(DOWN_MS);
    await postgres.startServer();
    const upAt = performance.now();
    await sleep(3_000);
    running = false;
    await Promise.all(workers);

    const failures = records.filter((record) => record.code !== 'ok');
    const byCode = new Map<string, string>();
    for (const failure of failures) byCode.set(Code[failure.code as Code], failure.message);
    // The restart was felt: calls failed, and every one of them with UNAVAILABLE.
    expect(failures.length).toBeGreaterThan(0);
    expect(Object.fromEntries(byCode)).toEqual({ Unavailable: expect.stringMatching(/database/) });
    // The pool reconnected by itself: the last calls of every kind succeeded.
    const settled = records.filter((record) => record.startedAt > upAt + 1_000);
    expect(settled.length).toBeGreaterThan(WORKERS);
    expect(settled.filter((record) => record.code !== 'ok')).toEqual([]);

    const firstFailure = Math.min(...failures.map((record) => record.endedAt));
    const firstSuccessAfterUp = Math.min(
      ...records.filter((record) => record.code === 'ok' && record.startedAt >= upAt).map((r) => r.endedAt),
    );
    recordFigures('PostgreSQL restarted under load', {
      workers: WORKERS,
      calls: records.length,
      failedCalls: failures.length,
      stopTookMs: Math.round(downAt - stoppingAt),
      downMs: DOWN_MS,
      firstUnavailableAfterStopMs: Math.round(firstFailure - stoppingAt),
      slowestFailedCallMs: Math.round(
        Math.max(...failures.map((record) => record.endedAt - record.startedAt)),
      ),
      firstSuccessAfterStartMs: Math.round(firstSuccessAfterUp - upAt),
    });
  });
});
