// kill -9 of the CAS while uploads are in flight, on every provider (issue 14, part 1; RELIABILITY.md,
// "Crashes"). A real CAS process is killed with SIGKILL while 16 uploads of 12 MiB hold bytes on the
// backend's server, and restarted. Then: every acknowledged upload reads back whole; no interrupted one is
// visible under its digest; and the CAS's leftover sweeper removes what the crash left on the server —
// listed from the server directly — while sparing a younger upload in progress.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { GrpcTestClient } from '@cairn/artifact-cas/testing';
import {
  type AzuriteInfo,
  type RegistryEndpoint,
  type RunningServer,
  type SwiftInfo,
  startAzurite,
  startRegistry,
  startSwift,
} from '@cairn/backends/testing';
import {
  type CasGrant,
  generateSigningKey,
  mintCasToken,
  publicJwks,
  type SigningKey,
} from '@cairn/cas-token';
import { createFileSecretStore, type FileSecretStore, loadOrCreateFileStoreKey } from '@cairn/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  azureTarget,
  type CrashTarget,
  filesystemTarget,
  ociTarget,
  s3Target,
} from './support/crash-targets.js';
import { freePorts, ServiceProcess } from './support/service-process.js';
import {
  MiB,
  type OpenUpload,
  openGrpcWrite,
  openHttpPut,
  randomTestBlob,
  type TestBlob,
  uploadWhole,
} from './support/uploads.js';

const ISSUER = 'cairn-e2e';
const AUDIENCE = 'cairn-artifact-cas';
/** Uploads held open when the CAS is killed (half gRPC, half HTTP), and how far each got. */
const IN_FLIGHT = 16;
const BLOB_BYTES = 12 * MiB;
const SENT_BYTES = 9 * MiB;
/** S3 parts, Azure blocks and OCI PATCHes are 8 MiB: 9 MiB sent puts one of each on the server. */
const CHUNK_BYTES = 8 * MiB;
/** Small uploads that complete before the kill. */
const COMPLETED = 8;
/**
 * The sweeper's settings for this test: leftovers idle 12 s are removed, each backend swept every 0.5 s. The
 * age sets how long the test has to see the crash's leftovers go and finish the younger upload before that
 * one is due too: 8 s was too short once on a loaded CI machine (S3 on Swift).
 */
const LEFTOVER_AGE_MS = 12_000;
const SWEEP_PERIOD_MS = 500;
/** Just under the test's timeout: the watchdog names the step a stuck run is in before Vitest gives up. */
const STUCK_AFTER_MS = 110_000;

let dir: string;
let key: SigningKey;
let secrets: FileSecretStore;
let cas: ServiceProcess;
let grpcAddress: string;
let httpUrl: string;
const servers: RunningServer<unknown>[] = [];
let registry: RunningServer<RegistryEndpoint>;
let swift: RunningServer<SwiftInfo>;
let azurite: RunningServer<AzuriteInfo>;
const figures: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-e2e-cas-crash-'));
  const started = await Promise.allSettled([startRegistry({ kind: 'none' }), startSwift(), startAzurite()]);
  for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
  const [r, s, a] = started;
  if (r?.status !== 'fulfilled' || s?.status !== 'fulfilled' || a?.status !== 'fulfilled') {
    throw new Error(`a storage server did not start: ${started.map((x) => x.status).join(', ')}`);
  }
  [registry, swift, azurite] = [r.value, s.value, a.value];

  key = await generateSigningKey();
  const keyFile = join(dir, 'jwks.json');
  await writeFile(keyFile, JSON.stringify(publicJwks(key)));
  const storeKeyFile = join(dir, 'store.key');
  await loadOrCreateFileStoreKey(storeKeyFile);
  const secretsDir = join(dir, 'secrets');
  secrets = createFileSecretStore({ directory: secretsDir, key: await readFile(storeKeyFile, 'utf8') });
  await mkdir(join(dir, 'roots', 'crash'), { recursive: true });

  const [grpcPort, httpPort] = await freePorts(2);
  grpcAddress = `127.0.0.1:${grpcPort}`;
  httpUrl = `http://127.0.0.1:${httpPort}`;
  const configFile = join(dir, 'cas.json');
  await writeFile(
    configFile,
    JSON.stringify({
      grpc: { port: grpcPort },
      http: { port: httpPort },
      tokens: { issuer: ISSUER, audience: AUDIENCE, keyFile },
      secrets: { kind: 'file', directory: secretsDir, keyFile: storeKeyFile },
      backends: { filesystemRoots: [join(dir, 'roots')] },
      uploads: { resumeWindowMs: 1_000 },
      sweeper: {
        leftoverAgeMs: LEFTOVER_AGE_MS,
        periodMs: SWEEP_PERIOD_MS,
        timeoutMs: 20_000,
        journalDir: join(dir, 'journal'),
      },
      shutdownGraceMs: 2_000,
    }),
  );
  cas = new ServiceProcess({
    name: 'CAS',
    entry: 'apps/artifact-cas/src/main.ts',
    args: ['--config', configFile],
    nodeFlags: CAS_NODE_FLAGS,
    logFile: join(dir, 'cas.log'),
    readyUrl: `${httpUrl}/readyz`,
  });
}, 120_000);

afterAll(async () => {
  await cas?.stop();
  await Promise.allSettled(servers.map((server) => server.stop()));
  if (dir) await rm(dir, { recursive: true, force: true });
  for (const line of figures) console.info(`cas crash figures ${JSON.stringify(line)}`);
});

function tokens(target: CrashTarget) {
  const grant = (role: 'upload' | 'download'): CasGrant => ({
    sub: 'e2e:crash',
    org: 'e2e',
    role,
    backend: target.backend,
    secret: target.secret,
    max_bytes: role === 'upload' ? 64 * MiB : 0,
  });
  const options = { issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: 600 };
  return {
    upload: () => mintCasToken(key, grant('upload'), options),
    download: () => mintCasToken(key, grant('download'), options),
  };
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await probe()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function expectWhole(grpc: GrpcTestClient, token: string, blob: TestBlob): Promise<void> {
  const read = await grpc.read(token, `blobs/${blob.hex}/${blob.size}`);
  expect(read.equals(blob.bytes), `gRPC read of acknowledged ${blob.digest}`).toBe(true);
  const get = await fetch(`${httpUrl}/v1/blobs/${blob.digest}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(get.status).toBe(200);
  expect(Buffer.from(await get.arrayBuffer()).equals(blob.bytes), `GET of acknowledged ${blob.digest}`).toBe(
    true,
  );
}

/** Not stored: Describe says NOT_FOUND, FindMissing lists it, GET answers 404. (Whole would pass too.) */
async function expectAbsentOrWhole(
  grpc: GrpcTestClient,
  token: string,
  blob: TestBlob,
): Promise<'absent' | 'whole'> {
  const missing = (await grpc.findMissing(token, [blob.digest])).missingDigests;
  if (missing.length === 0) {
    await expectWhole(grpc, token, blob);
    return 'whole';
  }
  const describe = await grpc.describe(token, blob.digest).then(
    () => 'found',
    (error: { code?: number }) => error.code,
  );
  expect(describe, `Describe of interrupted ${blob.digest}`).toBe(5);
  const get = await fetch(`${httpUrl}/v1/blobs/${blob.digest}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await get.body?.cancel();
  expect(get.status, `GET of interrupted ${blob.digest}`).toBe(404);
  return 'absent';
}

const PROVIDERS: readonly [string, () => Promise<CrashTarget>][] = [
  ['filesystem', async () => filesystemTarget(join(dir, 'roots', 'crash'))],
  [
    'oci',
    async () => ociTarget(registry.info, 'cairn/crash', CHUNK_BYTES, 'crash-oci', join(dir, 'journal')),
  ],
  ['aws-s3', () => s3Target(swift.info, secrets)],
  ['azure-blob', () => azureTarget(azurite.info, secrets)],
];

describe.sequential('kill -9 of the CAS with uploads in flight', () => {
  it.each(PROVIDERS)(
    '%s: acknowledged uploads read back whole, interrupted ones are not visible, the sweeper removes what the crash left',
    async (provider, makeTarget) => {
      const target = await makeTarget();
      const phases: Record<string, number> = {};
      let mark = performance.now();
      const phase = (name: string) => {
        const now = performance.now();
        phases[name] = Math.round(now - mark);
        mark = now;
      };
      // Where the test is, so a run that stops making progress fails naming the step it is stuck in (a
      // CI run hit Vitest's timeout in the oci case, which names nothing).
      let step = 'starting';
      let watchdog: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        watchdog = setTimeout(
          () =>
            reject(
              new Error(
                `no progress for ${provider}: stuck at "${step}" (phases so far ${JSON.stringify(phases)})`,
              ),
            ),
          STUCK_AFTER_MS,
        );
      });
      // Raced by each step; a rejection while no step is raced (a bounded waitFor runs) is not unhandled.
      stuck.catch(() => undefined);
      const progress = <T>(label: string, work: Promise<T>): Promise<T> => {
        step = label;
        return Promise.race([work, stuck]);
      };
      const waitForStep = (what: string, probe: () => Promise<boolean>, timeoutMs: number) =>
        progress(what, waitFor(what, probe, timeoutMs));
      let grpc: GrpcTestClient | undefined;
      try {
        const token = tokens(target);
        // One CAS serves the providers in turn: each test's restart is the next one's CAS.
        if (cas.pid === undefined) await cas.start();
        grpc = new GrpcTestClient(grpcAddress);
        const upload = await token.upload();
        phase('start');

        // Small uploads that finish before the kill: each must be acknowledged, and survive it.
        const completed = Array.from({ length: COMPLETED }, (_, index) =>
          randomTestBlob((64 + index * 128) * 1024),
        );
        const first = grpc;
        const completedOutcomes = await progress(
          'the uploads that finish before the kill',
          Promise.all(
            completed.map((blob, index) =>
              uploadWhole(index % 2 === 0 ? 'grpc' : 'http', { grpc: first, httpUrl }, upload, blob),
            ),
          ),
        );
        expect(completedOutcomes.every((outcome) => outcome === 'acknowledged')).toBe(true);

        // Uploads in flight: each has sent 9 of its 12 MiB, which the CAS has passed on to the server.
        const inFlight: OpenUpload[] = await progress(
          'opening the uploads the kill interrupts',
          Promise.all(
            Array.from({ length: IN_FLIGHT }, (_, index) => {
              const blob = randomTestBlob(BLOB_BYTES);
              return index % 2 === 0
                ? openGrpcWrite(first, upload, blob, SENT_BYTES)
                : openHttpPut(httpUrl, upload, blob, SENT_BYTES);
            }),
          ),
        );
        await waitForStep(
          `${IN_FLIGHT} uploads to hold bytes on the ${provider} server`,
          () => target.holdsUploads(IN_FLIGHT, SENT_BYTES),
          30_000,
        );
        const pausedAt = Date.now();
        phase('upload');

        await progress('killing the CAS', cas.kill());
        const killedAt = performance.now();
        const outcomes = await progress(
          'the interrupted uploads ending',
          Promise.all(inFlight.map((open) => open.ended)),
        );
        const interrupted = outcomes.filter((outcome) => outcome === 'interrupted').length;
        expect(interrupted).toBe(IN_FLIGHT);
        grpc.close();
        const leftoversBefore = await progress('listing leftovers', target.leftovers());
        // The test proves nothing unless the crash left something behind.
        expect(leftoversBefore.length).toBeGreaterThanOrEqual(IN_FLIGHT);

        const restartMs = await progress('restarting the CAS', cas.start());
        phase('restart');
        grpc = new GrpcTestClient(grpcAddress);
        const download = await token.download();

        // An upload started after the restart, idle less than the age when the crash's leftovers are
        // swept: the sweep must spare it (it could be another replica's). Started 2 s before they are due,
        // it is due itself 10 s after them (9 s on Swift, which gives times to the second): time enough to
        // see them go and finish it, even on a loaded machine.
        const youngFrom = pausedAt + LEFTOVER_AGE_MS - 2_000;
        if (Date.now() < youngFrom) {
          await progress('waiting for the leftovers to age', sleep(youngFrom - Date.now()));
        }
        const young = await progress(
          'opening the younger upload',
          (async () => openHttpPut(httpUrl, await token.upload(), randomTestBlob(BLOB_BYTES), SENT_BYTES))(),
        );
        let youngLeftovers: string[] = [];
        await waitForStep(
          `the younger upload to hold bytes on the ${provider} server`,
          async () => {
            youngLeftovers = (await target.leftovers()).filter((line) => !leftoversBefore.includes(line));
            return youngLeftovers.length > 0;
          },
          30_000,
        );

        const live = grpc;
        await progress(
          'reading back the acknowledged uploads',
          (async () => {
            for (const blob of completed) await expectWhole(live, download, blob);
          })(),
        );
        const seen = await progress(
          'looking for the interrupted uploads',
          Promise.all(inFlight.map((open) => expectAbsentOrWhole(live, download, open.blob))),
        );
        expect(seen.filter((state) => state === 'whole')).toEqual([]);
        phase('verify');

        // Each call that uses the backend lets the sweeper run (at most once per 0.5 s here).
        await waitForStep(
          'the sweeper to remove what the crash left, and only that',
          async () => {
            await live.findMissing(download, [young.blob.digest]);
            const now = await target.leftovers();
            return now.length === youngLeftovers.length && now.every((line) => youngLeftovers.includes(line));
          },
          30_000,
        );
        const sweptMs = performance.now() - killedAt;
        phase('sweep');
        expect(await progress('finishing the younger upload', young.finish())).toBe('acknowledged');
        await progress('reading back the younger upload', expectWhole(grpc, download, young.blob));
        expect(await target.leftovers()).toEqual([]);
        phase('young');

        const sweeps = (await cas.logLines()).filter(
          (line) => line.msg === 'removed abandoned uploads' && line.backendId === target.backend.id,
        );
        const removed = sweeps.reduce((sum, line) => sum + Number(line.removed ?? 0), 0);
        const left = sweeps.reduce((sum, line) => sum + Number(line.left ?? 0), 0);
        expect(removed).toBe(leftoversBefore.length);
        expect(left).toBe(0);
        figures.push({
          provider,
          acknowledged: COMPLETED,
          interrupted,
          leftoversBefore: leftoversBefore.length,
          sweptRemoved: removed,
          leftoversAfter: 0,
          restartMs: Math.round(restartMs),
          sweptMs: Math.round(sweptMs),
          phases,
        });
      } catch (error) {
        // What the CAS said of the calls that failed (its log goes with the temp folder): the warnings and
        // errors of its last lines, for the run's output.
        const said = (await cas.logLines())
          .filter((line) => line.level === 'warn' || line.level === 'error')
          .slice(-20)
          .map((line) => JSON.stringify(line));
        console.error(
          `the CAS's last warnings and errors (${provider}; phases ${JSON.stringify(phases)}):\n${said.join('\n') || '(none)'}`,
        );
        await cas.kill();
        throw error;
      } finally {
        clearTimeout(watchdog);
        grpc?.close();
        await target.close();
      }
    },
  );
});
