import { setTimeout as sleep } from 'node:timers/promises';
import { Code } from '@cairn/errors';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttestationHarness, createAttestationHarness } from '../testing/attestation-harness.js';
import { DATABASE_KINDS } from '../testing/databases.js';
import { pushBundle, readyRun } from '../testing/statements.js';
import type { Attestations } from './attestations.js';
import type { Principal } from './principal.js';
import { formatLifetime, type RunListQuery } from './workflow-runs.js';

const tag = (value: string) => ({
  name: `tag-${value}`,
  kind: 'STRING',
  annotations: {},
  fileName: '',
  source: { inline: { content: new TextEncoder().encode(value) } },
});

describe.each(DATABASE_KINDS)('workflow run lifecycle on %s', (kind) => {
  let t: AttestationHarness;
  let attestations: Attestations;
  const signal = AbortSignal.timeout(600_000);

  beforeAll(async () => {
    t = await createAttestationHarness(kind);
    attestations = t.attestations();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function newRun(using = attestations): Promise<{ principal: Principal; runId: string }> {
    const { principal } = await t.h.newOrganization();
    const { run } = await using.init(principal, { workflow: 'build', project: 'acme/api' });
    return { principal, runId: run.id };
  }

  it('resets a run as failed or cancelled, keeping the reason, and refuses every change to it afterwards', async () => {
    const { principal, runId } = await newRun();
    const failed = await attestations.reset(principal, runId, { trigger: 'failure', reason: 'tests failed' });
    expect(failed.run).toMatchObject({
      state: 'failed',
      resetReason: 'tests failed',
      finishedAt: expect.any(Date),
    });
    const refusal = {
      code: Code.FailedPrecondition,
      message: `run ${runId} was reset as failed at ${failed.run.finishedAt?.toISOString()} ("tests failed"); start a new one with \`cairn attestation init\``,
      details: { reason: 'run_finished', state: 'failed' },
    };
    await expect(
      attestations.reset(principal, runId, { trigger: 'failure', reason: '' }),
    ).rejects.toMatchObject(refusal);
    await expect(attestations.addMaterial(principal, runId, tag('v1'), signal)).rejects.toMatchObject(
      refusal,
    );
    await expect(
      attestations.store(principal, runId, new TextEncoder().encode('{}'), signal),
    ).rejects.toMatchObject(refusal);
    expect((await attestations.getRun(principal, runId)).run).toMatchObject({
      state: 'failed',
      resetReason: 'tests failed',
    });

    const other = await newRun();
    const cancelled = await attestations.reset(other.principal, other.runId, {
      trigger: 'cancellation',
      reason: '',
    });
    expect(cancelled.run).toMatchObject({ state: 'cancelled', resetReason: null });
    await expect(
      attestations.reset(other.principal, other.runId, { trigger: 'cancellation', reason: '' }),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: `run ${other.runId} was cancelled at ${cancelled.run.finishedAt?.toISOString()}; start a new one with \`cairn attestation init\``,
    });
    await expect(attestations.uploadCredentials(other.principal, other.runId)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      details: { state: 'cancelled' },
    });

    const third = await newRun();
    for (const reason of ['x'.repeat(1025), 'two\nlines']) {
      await expect(
        attestations.reset(third.principal, third.runId, { trigger: 'failure', reason }),
      ).rejects.toMatchObject({ code: Code.InvalidArgument, details: { reason: 'invalid_reason' } });
    }
    const { principal: intruder } = await t.h.newOrganization();
    await expect(
      attestations.reset(intruder, third.runId, { trigger: 'failure', reason: '' }),
    ).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('expires runs not pushed within their lifetime: on the next call, and by the sweep under its lock', async () => {
    const short = t.attestations({ options: { runLifetimeMs: 1000 } });
    const swept = [await newRun(short), await newRun(short)];
    const lasting = await newRun();
    const listed = await newRun(short);
    // Made last, and used at once: its first call must come within its 1 s lifetime on a loaded machine.
    const accessed = await newRun(short);
    await short.addMaterial(accessed.principal, accessed.runId, tag('v1'), signal);
    const { run } = await short.getRun(accessed.principal, accessed.runId);
    expect(run.expiresAt.getTime() - run.createdAt.getTime()).toBe(1000);
    // Until the last of the short runs is overdue: on a loaded machine they were made far apart.
    await sleep(Math.max(0, run.expiresAt.getTime() - Date.now()) + 100);

    // On access: the call marks it expired, then refuses, saying when and how long runs have.
    const expired = {
      code: Code.FailedPrecondition,
      message: `run ${accessed.runId} expired at ${run.expiresAt.toISOString()}: runs must be pushed within 1 s; start a new one with \`cairn attestation init\``,
      details: { reason: 'run_expired', state: 'expired', expiredAt: run.expiresAt.toISOString() },
    };
    await expect(
      short.addMaterial(accessed.principal, accessed.runId, tag('v2'), signal),
    ).rejects.toMatchObject(expired);
    expect((await t.database.store.workflowRuns.find(accessed.principal.orgId, accessed.runId))?.state).toBe(
      'expired',
    );
    for (const call of [
      () => short.uploadCredentials(accessed.principal, accessed.runId),
      () => short.reset(accessed.principal, accessed.runId, { trigger: 'failure', reason: '' }),
      () => short.store(accessed.principal, accessed.runId, new TextEncoder().encode('{}'), signal),
    ]) {
      await expect(call()).rejects.toMatchObject(expired);
    }
    expect((await short.getRun(accessed.principal, accessed.runId)).run).toMatchObject({
      state: 'expired',
      finishedAt: run.expiresAt,
    });
    // A listing marks the organisation's overdue runs first, so it never shows one as in progress.
    const listing = await short.runs.list(listed.principal, {
      workflow: '',
      state: undefined,
      pageSize: 0,
      pageToken: '',
    });
    expect(listing.runs).toMatchObject([{ id: listed.runId, state: 'expired' }]);
    // Runs no call came for wait for the sweep.
    const before = await t.database.store.workflowRuns.find(
      swept[0]?.principal.orgId ?? '',
      swept[0]?.runId ?? '',
    );
    expect(before?.state).toBe('initialized');

    // The sweep marks the rest, but only on the replica holding its lock.
    const elsewhere = await t.database.store.locks.tryWithLock('workflow-run-expiry', () =>
      short.expiry.sweep(),
    );
    expect(elsewhere).toEqual({ acquired: true, value: 0 });
    expect(await short.expiry.sweep()).toBeGreaterThanOrEqual(2);
    for (const { principal, runId } of swept) {
      const found = await t.database.store.workflowRuns.find(principal.orgId, runId);
      expect(found).toMatchObject({ state: 'expired', finishedAt: found?.expiresAt });
    }
    expect((await t.database.store.workflowRuns.find(lasting.principal.orgId, lasting.runId))?.state).toBe(
      'initialized',
    );
  });

  it('sweeps on its own once started, and stops', async () => {
    const ticking = t.attestations({ options: { runLifetimeMs: 1000 }, expiry: { intervalMs: 50 } });
    const { principal, runId } = await newRun(ticking);
    ticking.expiry.start();
    const deadline = Date.now() + 10_000;
    let state = 'initialized';
    while (state === 'initialized' && Date.now() < deadline) {
      await sleep(50);
      state = (await t.database.store.workflowRuns.find(principal.orgId, runId))?.state ?? 'missing';
    }
    expect(state).toBe('expired');
    await ticking.expiry.stop();
    expect(t.h.logs.some((line) => line.includes('"found":"by the sweep"') && line.includes(runId))).toBe(
      true,
    );
  });

  it("lists the organisation's runs newest first, page by page, by workflow and state, with backend and bundle digest", async () => {
    const { principal } = await t.h.newOrganization();
    const query = (extra: Partial<RunListQuery> = {}): RunListQuery => ({
      workflow: '',
      state: undefined,
      pageSize: 0,
      pageToken: '',
      ...extra,
    });
    const made: string[] = [];
    for (const workflow of ['build', 'test', 'build', 'deploy', 'build']) {
      made.push((await readyRun(attestations, principal, { workflow })).run.id);
    }
    const pushedId = made[1] ?? '';
    const { attestation } = await attestations.store(
      principal,
      pushedId,
      await pushBundle(attestations, principal, pushedId),
      signal,
    );
    await attestations.reset(principal, made[2] ?? '', { trigger: 'cancellation', reason: '' });
    const newestFirst = [...made].reverse();

    const all = await attestations.runs.list(principal, query());
    expect(all.runs.map((run) => run.id)).toEqual(newestFirst);
    expect(all.nextPageToken).toBe('');
    const pushed = all.runs.find((run) => run.id === pushedId);
    expect(pushed).toMatchObject({
      state: 'succeeded',
      attestationDigest: attestation.digest,
      finishedAt: expect.any(Date),
      backend: { name: 'inline', provider: 'inline' },
      backendIsFallback: false,
    });
    expect(all.runs.find((run) => run.id === made[0])).toMatchObject({
      state: 'initialized',
      attestationDigest: null,
    });

    const pages: string[][] = [];
    let token = '';
    do {
      const page = await attestations.runs.list(principal, query({ pageSize: 2, pageToken: token }));
      pages.push(page.runs.map((run) => run.id));
      token = page.nextPageToken;
    } while (token !== '');
    expect(pages).toEqual([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4)]);

    const builds = await attestations.runs.list(principal, query({ workflow: 'build', pageSize: 2 }));
    expect(builds.runs.map((run) => run.id)).toEqual([made[4], made[2]]);
    const rest = await attestations.runs.list(
      principal,
      query({ workflow: 'build', pageToken: builds.nextPageToken }),
    );
    expect(rest).toEqual({ runs: [expect.objectContaining({ id: made[0] })], nextPageToken: '' });
    expect(
      (await attestations.runs.list(principal, query({ state: 'cancelled' }))).runs.map((run) => run.id),
    ).toEqual([made[2]]);
    expect(
      (await attestations.runs.list(principal, query({ workflow: 'build', state: 'initialized' }))).runs.map(
        (run) => run.id,
      ),
    ).toEqual([made[4], made[0]]);

    for (const [bad, reason] of [
      [query({ pageToken: 'garbage' }), 'invalid_page_token'],
      [query({ workflow: 'test', pageToken: builds.nextPageToken }), 'invalid_page_token'],
      [query({ pageSize: -1 }), 'invalid_page_size'],
    ] as const) {
      await expect(attestations.runs.list(principal, bad)).rejects.toMatchObject({
        code: Code.InvalidArgument,
        details: { reason },
      });
    }
    // Another organisation sees none of them.
    const { principal: other } = await t.h.newOrganization();
    expect((await attestations.runs.list(other, query())).runs).toEqual([]);
  });

  it('pages 50 runs by default and at most 500, through runs created at the same instant', async () => {
    const { principal } = await t.h.newOrganization();
    const inline = await t.database.store.backends.findDefault(principal.orgId);
    // 501 runs in one statement: one creation time for all, so the order rests on the tie-break by id.
    await sql`insert into workflow_runs (id, org_id, workflow, project, backend_id, expires_at)
      select gen_random_uuid(), ${principal.orgId}, 'bulk', '', ${inline?.id}, now() + interval '1 day'
      from generate_series(1, 501)`.execute(t.database.store.db);
    const list = (pageSize: number, pageToken = '') =>
      attestations.runs.list(principal, { workflow: '', state: undefined, pageSize, pageToken });
    expect((await list(0)).runs).toHaveLength(50);
    const capped = await list(10_000);
    expect(capped.runs).toHaveLength(500);
    const last = await list(10_000, capped.nextPageToken);
    expect(last.runs).toHaveLength(1);
    expect(last.nextPageToken).toBe('');
    const seen = new Set([...capped.runs, ...last.runs].map((run) => run.id));
    expect(seen.size).toBe(501);
  });

  it('states a lifetime in the largest unit that divides it', () => {
    expect([86_400_000, 5_400_000, 90_000, 1000, 250].map(formatLifetime)).toEqual([
      '24 h',
      '90 min',
      '90 s',
      '1 s',
      '250 ms',
    ]);
  });
});
