// kill -9 of the control plane during attestation pushes, on PostgreSQL (issue 14, part 1; RELIABILITY.md,
// "Crashes"). A real control plane process takes many concurrent Store calls — runs on the inline backend
// (bundle kept in the database) and on a filesystem CAS backend with attestations.skipDbStorage (bundle
// sent to the CAS first, then recorded) — and is killed with SIGKILL once some have committed. Its answers
// reach the client through a proxy that holds them for a moment, so some pushes committed without their
// answer getting out. After a restart the tables must show no run half recorded, and pushing each bundle
// again must succeed exactly once.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { generateKeyPair, loadPrivateKey, type SigningKey } from '@cairn/attestation';
import { type ControlPlaneClient, createControlPlaneClient } from '@cairn/controlplane-client';
import { silentLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleOf, digestOf } from './support/bundles.js';
import { cleanUp } from './support/clean-up.js';
import { type DelayingProxy, startDelayingProxy } from './support/delaying-proxy.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { freePorts, ServiceProcess } from './support/service-process.js';

/** Runs per backend, pushed in waves of WAVE every WAVE_GAP_MS; the kill comes once KILL_AFTER committed. */
const RUNS_PER_BACKEND = 24;
const WAVE = 6;
const WAVE_GAP_MS = 100;
const KILL_AFTER = RUNS_PER_BACKEND;
/** How long the proxy holds the control plane's answers: pushes committed this close to the kill go unanswered. */
const ANSWER_DELAY_MS = 250;

let dir: string;
let database: TestDatabase;
let cas: RunningArtifactCas;
let cp: ServiceProcess;
let proxy: DelayingProxy;
let cpAddress: string;
let apiToken: string;
let orgId: string;
let key: SigningKey;
const clients: ControlPlaneClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-e2e-cp-crash-'));
  database = await createTestDatabase();
  const [grpcPort, httpPort, casPort] = await freePorts(3);
  cpAddress = `127.0.0.1:${grpcPort}`;
  const cpHttp = `http://127.0.0.1:${httpPort}`;
  // The CAS is not the process under test here; it runs in this one and trusts the control plane's keys.
  cas = await startArtifactCas(
    {
      grpc: { port: casPort },
      http: { port: 0 },
      tokens: { jwksUrl: `${cpHttp}/.well-known/jwks.json` },
      backends: { filesystemRoots: [join(dir, 'blobs')] },
    },
    { logger: silentLogger },
  );
  const configFile = join(dir, 'controlplane.json');
  await writeFile(
    configFile,
    JSON.stringify({
      stateDir: join(dir, 'state'),
      grpc: { port: grpcPort },
      http: { port: httpPort },
      database: { url: database.url },
      cas: { grpcAddress: cas.grpcAddress },
      validation: { tickMs: 3_600_000 },
      bootstrap: { organization: 'e2e', apiTokenFile: join(dir, 'api-token') },
      attestations: { skipDbStorage: true },
      shutdownGraceMs: 2_000,
    }),
  );
  cp = new ServiceProcess({
    name: 'control plane',
    entry: 'apps/controlplane/src/main.ts',
    args: ['serve', '--config', configFile],
    logFile: join(dir, 'controlplane.log'),
    readyUrl: `${cpHttp}/readyz`,
  });
  await cp.start();
  apiToken = (await readFile(join(dir, 'api-token'), 'utf8')).trim();
  const org = await database.client.query<{ id: string }>(`select id from organizations where name = 'e2e'`);
  orgId = org.rows[0]?.id ?? '';
  proxy = await startDelayingProxy(cpAddress, ANSWER_DELAY_MS);
  const pair = await generateKeyPair();
  key = await loadPrivateKey(pair.privateKeyPem, { name: 'key.pem' });
}, 120_000);

afterAll(() =>
  cleanUp(
    async () => {
      for (const client of clients) client.close();
    },
    () => cp?.kill(),
    () => proxy?.close(),
    () => cas?.close(),
    () => database?.drop(),
    () => (dir ? rm(dir, { recursive: true, force: true }) : undefined),
  ),
);

function clientAt(address: string): ControlPlaneClient {
  const client = createControlPlaneClient({ address, apiToken, callTimeoutMs: 20_000 });
  clients.push(client);
  return client;
}

interface PreparedRun {
  readonly id: string;
  readonly backend: 'inline' | 'filesystem';
  readonly bundle: Uint8Array;
  readonly digest: string;
}

/** Runs started on the organisation's default backend, each with a material, and their signed bundles. */
async function prepareRuns(
  client: ControlPlaneClient,
  backend: PreparedRun['backend'],
): Promise<PreparedRun[]> {
  return Promise.all(
    Array.from({ length: RUNS_PER_BACKEND }, async (_, index) => {
      const run = await client.initRun({
        workflow: 'release',
        project: 'acme/api',
        runner: { type: 'local' },
      });
      await client.addMaterial(run.id, {
        name: 'version',
        kind: 'STRING',
        source: { inline: `1.${index}.0 on ${backend}` },
      });
      const bundle = await bundleOf(await client.getRun(run.id), key);
      return { id: run.id, backend, bundle, digest: digestOf(bundle) };
    }),
  );
}

interface RunRow {
  id: string;
  state: string;
  finished: boolean;
  attestations: number;
  digest: string | null;
  bundle: Buffer | null;
  in_cas: boolean;
  backend_id: string;
  mapped: boolean;
}

/** Each run as the tables have it: state, its attestation rows, and whether the digest map names its backend. */
async function runRows(): Promise<Map<string, RunRow>> {
  const result = await database.client.query<RunRow>(
    `select r.id, r.state, r.finished_at is not null as finished, r.backend_id,
            (select count(*)::int from attestations x where x.run_id = r.id) as attestations,
            a.digest, a.bundle, a.stored_in_cas_at is not null as in_cas,
            exists (select 1 from blob_locations l
                     where l.org_id = r.org_id and l.digest = a.digest and l.backend_id = r.backend_id) as mapped
       from workflow_runs r left join attestations a on a.run_id = r.id
      where r.org_id = $1`,
    [orgId],
  );
  return new Map(result.rows.map((row) => [row.id, row]));
}

/** Initialized with no attestation, or succeeded with exactly its bundle stored where its backend keeps it, and mapped. */
async function expectWholeOrUntouched(
  run: PreparedRun,
  row: RunRow | undefined,
): Promise<'committed' | 'not committed'> {
  expect(row, `run ${run.id} is in the table`).toBeDefined();
  if (!row) throw new Error('unreachable');
  if (row.state === 'initialized') {
    expect({ attestations: row.attestations, finished: row.finished }).toEqual({
      attestations: 0,
      finished: false,
    });
    return 'not committed';
  }
  expect(row.state).toBe('succeeded');
  expect({
    attestations: row.attestations,
    digest: row.digest,
    finished: row.finished,
    mapped: row.mapped,
  }).toEqual({
    attestations: 1,
    digest: run.digest,
    finished: true,
    mapped: true,
  });
  if (run.backend === 'inline') {
    expect(
      row.bundle && Buffer.from(run.bundle).equals(row.bundle),
      `bundle of run ${run.id} in the database`,
    ).toBe(true);
  } else {
    // skipDbStorage: only the digest is kept; the CAS (a filesystem backend) holds the bytes.
    expect({ bundle: row.bundle, inCas: row.in_cas }).toEqual({ bundle: null, inCas: true });
    const hex = run.digest.slice('sha256:'.length);
    const stored = await readFile(join(dir, 'blobs', 'e2e', 'sha256', hex.slice(0, 2), hex));
    expect(`sha256:${createHash('sha256').update(stored).digest('hex')}`).toBe(run.digest);
  }
  return 'committed';
}

describe('kill -9 of the control plane during attestation pushes', () => {
  it('leaves no run half recorded, and a retried push of the same bundle succeeds exactly once', async () => {
    const direct = clientAt(cpAddress);
    const inlineRuns = await prepareRuns(direct, 'inline');
    await mkdir(join(dir, 'blobs', 'e2e'), { recursive: true });
    await direct.createBackend({
      name: 'local',
      provider: 'filesystem',
      location: join(dir, 'blobs', 'e2e'),
      isDefault: true,
    });
    const casRuns = await prepareRuns(direct, 'filesystem');
    // Interleaved, so both kinds of push are in flight at the kill.
    const runs = inlineRuns.flatMap((run, index) => [run, casRuns[index] as PreparedRun]);

    // Pushes through the proxy, a wave at a time, until the kill.
    const pusher = clientAt(proxy.address);
    // Connected first (the proxy holds the handshake's answers too), so the first waves get answers.
    await pusher.getRun(runs[0]?.id ?? '');
    let killed = false;
    const answered = new Set<string>();
    const pushes: Promise<void>[] = [];
    const waves = (async () => {
      for (let start = 0; start < runs.length && !killed; start += WAVE) {
        for (const run of runs.slice(start, start + WAVE)) {
          pushes.push(
            pusher.storeAttestation(run.id, run.bundle).then(
              (response) => {
                expect(response.attestation?.digest).toBe(run.digest);
                answered.add(run.id);
              },
              () => undefined,
            ),
          );
        }
        await sleep(WAVE_GAP_MS);
      }
    })();
    const count = async () =>
      Number(
        (
          await database.client.query<{ n: string }>(
            'select count(*) as n from attestations where org_id = $1',
            [orgId],
          )
        ).rows[0]?.n ?? 0,
      );
    const started = performance.now();
    while ((await count()) < KILL_AFTER) {
      if (performance.now() - started > 30_000) throw new Error('the pushes did not commit within 30 s');
      await sleep(5);
    }
    await cp.kill();
    killed = true;
    const killedAt = performance.now();
    await waves;
    await Promise.all(pushes);

    const restartMs = await cp.start();
    const rows = await runRows();
    const states = await Promise.all(runs.map((run) => expectWholeOrUntouched(run, rows.get(run.id))));
    const committed = runs.filter((_, index) => states[index] === 'committed');
    // An answered push is a committed one; the crash must also have caught pushes on both sides of commit.
    for (const id of answered) expect(committed.map((run) => run.id)).toContain(id);
    const unanswered = committed.filter((run) => !answered.has(run.id));
    const notCommitted = runs.length - committed.length;
    expect(unanswered.length, 'pushes committed whose answer never arrived').toBeGreaterThan(0);
    expect(notCommitted, 'pushes the crash stopped before their commit').toBeGreaterThan(0);

    // Every push again, the same bytes: each succeeds, and each run ends with exactly one attestation.
    const retried = await Promise.all(runs.map((run) => direct.storeAttestation(run.id, run.bundle)));
    for (const [index, response] of retried.entries()) {
      expect(response.attestation?.digest).toBe(runs[index]?.digest);
    }
    const recoveredMs = performance.now() - killedAt;
    const after = await runRows();
    for (const run of runs) expect(await expectWholeOrUntouched(run, after.get(run.id))).toBe('committed');
    expect(await count()).toBe(runs.length);
    // Once more for the ones that committed without an answer: still one row each.
    await Promise.all(unanswered.map((run) => direct.storeAttestation(run.id, run.bundle)));
    expect(await count()).toBe(runs.length);

    console.info(
      `controlplane crash figures ${JSON.stringify({
        pushes: runs.length,
        answered: answered.size,
        committedUnanswered: unanswered.length,
        notCommitted,
        committed: committed.length,
        restartMs: Math.round(restartMs),
        recoveredMs: Math.round(recoveredMs),
      })}`,
    );
    await cp.stop();
  });
});
