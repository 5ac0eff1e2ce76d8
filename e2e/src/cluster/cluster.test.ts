import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from '../../../scripts/cluster/cluster.js';
import { cleanUp } from '../support/clean-up.js';
import { recordFigures } from '../support/figures.js';
import { runCairn, stopChildren } from '../support/processes.js';

// Three CAS and two control planes on one PostgreSQL database behind HAProxy, driven by concurrent
// attestation flows run as the CLI runs in CI, while one CAS and one control plane are killed with -9 and
// the signing key rotates. Bounded: the flows stop FLOW_WINDOW_MS after they started, or once the faults are
// over if that is later (a loaded machine), and after FLOW_LIMIT_MS whatever happens; every process is on
// 127.0.0.1.

const POSTGRES_URL = process.env.CAIRN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FLOWS = 4;
const FLOW_WINDOW_MS = 40_000;
const FLOW_LIMIT_MS = 100_000;
/** Flows after the last replica is back, so some of them start on the whole cluster again. */
const FLOWS_AFTER_FAULTS_MS = 3_000;
const TOKEN_LIFETIME_SECONDS = 10;
const KEY_REFRESH_MS = 1_000;
/** Longer than the control planes' refresh and than the CAS's least time between JWKS reloads (5 s). */
const ROTATION_LEAD_SECONDS = 6;
const VALIDATION = { primaryIntervalMs: 3_000, tickMs: 250 };

interface FlowResult {
  readonly worker: number;
  readonly ok: boolean;
  readonly step: string;
  readonly stderr: string;
  readonly digest?: string;
  readonly ms: number;
}

let cluster: Cluster;
let dir: string;
let database: string;
let startedAt: number;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  database = `cairn_cluster_${randomBytes(6).toString('hex')}`;
  await admin(`create database ${database}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${database}`;
  dir = await mkdtemp(join(tmpdir(), 'cairn-cluster-test-'));
  startedAt = Date.now();
  cluster = await startCluster({
    dir,
    databaseUrl: url.toString(),
    tokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
    keyRefreshMs: KEY_REFRESH_MS,
    validation: VALIDATION,
  });
});

afterAll(() =>
  cleanUp(
    () => stopChildren(),
    () => cluster?.stop(),
    () => admin(`drop database if exists ${database} with (force)`),
    () => rm(dir, { recursive: true, force: true }),
  ),
);

function cairn(workspace: string, args: readonly string[]) {
  return runCairn(args, { cwd: workspace, env: { ...cluster.cliEnv } }).done;
}

/** init, three materials (two files the CAS stores, one string), push: the CI job's attestation. */
async function attest(worker: number, workspace: string, round: number): Promise<FlowResult> {
  const started = Date.now();
  const steps: Array<[string, string[]]> = [
    ['init', ['attestation', 'init', '--workflow', `cluster-${worker}`]],
    ['add sbom', ['attestation', 'add', '--name', 'sbom', '--value', 'sbom.bin']],
    ['add binary', ['attestation', 'add', '--name', 'binary', '--value', `binary-${round % 2}.bin`]],
    ['add version', ['attestation', 'add', '--name', 'version', '--value', `1.${round}.${worker}`]],
    ['push', ['attestation', 'push', '--key', 'signing.key']],
  ];
  let stdout = '';
  for (const [step, args] of steps) {
    const result = await cairn(workspace, args);
    if (result.code !== 0)
      return { worker, ok: false, step, stderr: result.stderr, ms: Date.now() - started };
    stdout = result.stdout;
  }
  return { worker, ok: true, step: 'push', stderr: '', digest: stdout.trim(), ms: Date.now() - started };
}

async function worker(index: number, going: () => boolean): Promise<FlowResult[]> {
  const workspace = join(dir, `workspace-${index}`);
  await mkdir(workspace);
  await writeFile(join(workspace, 'sbom.bin'), randomBytes(256 * 1024));
  await writeFile(join(workspace, 'binary-0.bin'), randomBytes(3 * 1024 * 1024));
  await writeFile(join(workspace, 'binary-1.bin'), randomBytes(5 * 1024 * 1024));
  const keys = await cairn(workspace, ['keys', 'generate', '--output', 'signing']);
  if (keys.code !== 0) throw new Error(`keys generate failed: ${keys.stderr}`);
  const results: FlowResult[] = [];
  for (let round = 0; going(); round += 1) results.push(await attest(index, workspace, round));
  return results;
}

/** The key ids of the JWKS the frontend serves, or the one of the control plane whose `/readyz` is `at`. */
async function jwksKids(at = `http://127.0.0.1:${cluster.frontends.controlPlaneHttp}/`): Promise<string[]> {
  const response = await fetch(new URL('/.well-known/jwks.json', at));
  const { keys } = (await response.json()) as { keys: Array<{ kid: string }> };
  return keys.map((key) => key.kid).sort();
}

async function tokenKid(workspace: string): Promise<string> {
  const result = await cairn(workspace, ['cas-token', 'create', '--json']);
  expect(result.stderr).toBe('');
  const { token } = JSON.parse(result.stdout) as { token: string };
  const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
    kid: string;
  };
  return header.kid;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Log lines of every CAS replica that are JSON call records. */
async function casCalls(): Promise<Array<{ method: string; code: string; time?: string }>> {
  const calls: Array<{ method: string; code: string }> = [];
  for (const [name, text] of await cluster.logs()) {
    if (!name.startsWith('cas-')) continue;
    for (const line of text.split('\n')) {
      if (!line.includes('"msg":"call"')) continue;
      try {
        calls.push(JSON.parse(line));
      } catch {
        // A line cut by kill -9.
      }
    }
  }
  return calls;
}

describe('three CAS and two control planes behind HAProxy', () => {
  it('finishes every attestation flow while a CAS and a control plane die and the signing key rotates', async () => {
    const probe = join(dir, 'probe');
    await mkdir(probe);
    const firstKid = await tokenKid(probe);
    expect(await jwksKids()).toEqual([firstKid]);

    // The faults below must all land while flows run, however long a loaded machine makes each step.
    const flowsFrom = Date.now();
    let faultsOverAt = Number.POSITIVE_INFINITY;
    const going = () =>
      Date.now() < Math.min(flowsFrom + FLOW_LIMIT_MS, Math.max(flowsFrom + FLOW_WINDOW_MS, faultsOverAt));
    const flows = Promise.all(Array.from({ length: FLOWS }, (_, index) => worker(index, going)));
    const timeline: Array<[string, number]> = [];
    const mark = (what: string) => timeline.push([what, Date.now() - startedAt]);
    const when = () => `timeline: ${JSON.stringify(timeline)}`;

    await sleep(5_000);
    // Each dies in the middle of a call it serves: an upload for the CAS, an RPC for the control plane.
    expect(await cluster.replica('cas-2').killDuringCall(20_000), when()).toBe(true);
    mark('cas-2 killed');
    await sleep(3_000);
    const rotation = await cluster.rotateKeys(ROTATION_LEAD_SECONDS);
    const rotatedAt = Date.now();
    mark('rotation scheduled');
    expect(rotation.retiring).toEqual([firstKid]);
    // Every control plane publishes the new key at its next refresh (1 s), before the key signs (6 s): each
    // is asked on its own port, as the frontend would show whichever replica it picked.
    for (const name of ['cp-1', 'cp-2']) {
      await expect
        .poll(() => jwksKids(cluster.replica(name).spec.readyUrl), {
          timeout: (ROTATION_LEAD_SECONDS - 1) * 1000,
          interval: 100,
        })
        .toEqual([firstKid, rotation.signing].sort());
    }
    await sleep(Math.max(0, rotatedAt + KEY_REFRESH_MS * 2 + 3_000 - Date.now()));
    expect(await cluster.replica('cp-1').killDuringCall(20_000), when()).toBe(true);
    mark('cp-1 killed');
    await sleep(8_000);
    await cluster.replica('cas-2').start();
    mark('cas-2 back');
    await sleep(3_000);
    await cluster.replica('cp-1').start();
    mark('cp-1 back');
    faultsOverAt = Date.now() + FLOWS_AFTER_FAULTS_MS;

    const results = (await flows).flat();
    const failed = results.filter((result) => !result.ok);
    expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(FLOWS * 2);

    // Tokens after the switch carry the new key; no CAS refused a token at any time.
    expect(await tokenKid(probe)).toBe(rotation.signing);
    const calls = await casCalls();
    expect(calls.filter((call) => call.code === 'UNAUTHENTICATED')).toEqual([]);

    // A bundle pushed during the faults verifies through the cluster, materials read back whole.
    const last = results.at(-1);
    const verify = await cairn(join(dir, `workspace-${last?.worker}`), [
      'attestation',
      'verify',
      '-d',
      last?.digest ?? '',
      '--key',
      'signing.pub',
    ]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);

    // The old key stays published for a token lifetime and 30 s of skew after the switch, then goes.
    const retireAt = Date.parse(rotation.until);
    await sleep(Math.max(0, retireAt - Date.now()) + KEY_REFRESH_MS * 3);
    expect(await jwksKids()).toEqual([rotation.signing]);

    // Background validation ran once per period for the deployment, not once per control plane (which
    // would be about twice as many checks), and it never stopped for long, not even when the replica
    // running it died. The scheduler's tick and the check itself stretch a period, the more so on a
    // loaded machine (a CI run had 23 checks in 40 periods), so the lower bound is on the gaps, not the
    // count: the longest time without a check, from the first (after the cluster's start) to the end
    // (3.3 s on a quiet machine: a period and a tick).
    const endedAt = Date.now();
    const checkTimes = (await casCalls())
      .filter((call) => call.method.endsWith('CheckWriteAccess'))
      .map((call) => Date.parse(call.time ?? ''))
      .sort((a, b) => a - b);
    expect(checkTimes.every(Number.isFinite)).toBe(true);
    const checks = checkTimes.length;
    const periods = (endedAt - startedAt) / VALIDATION.primaryIntervalMs;
    expect(checks).toBeLessThanOrEqual(Math.ceil(periods) + 3);
    expect(checks).toBeGreaterThan(0);
    const marks = [...checkTimes, endedAt];
    const longestGapMs = Math.max(...marks.slice(1).map((at, index) => at - (marks[index] ?? at)));
    expect(
      longestGapMs,
      `check times ${checkTimes.map((at) => at - startedAt).join(', ')}`,
    ).toBeLessThanOrEqual(VALIDATION.primaryIntervalMs * 6);

    const durations = results.map((result) => result.ms).sort((a, b) => a - b);
    recordFigures('cluster: flows under kill -9 and key rotation', {
      flows: results.length,
      failed: failed.length,
      flowMedianMs: durations[Math.floor(durations.length / 2)] ?? 0,
      flowMaxMs: durations.at(-1) ?? 0,
      refusedTokens: 0,
      validationChecks: checks,
      validationPeriods: Math.round(periods * 10) / 10,
      validationLongestGapMs: longestGapMs,
      timeline: timeline.map(([what, at]) => `${what} @${(at / 1000).toFixed(1)}s`).join(', '),
    });
  }, 240_000);
});
