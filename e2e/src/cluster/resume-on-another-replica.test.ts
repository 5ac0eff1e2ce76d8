// An upload interrupted by a kill -9 of its CAS continues on another CAS replica (issue 14, part 3;
// RELIABILITY.md, "Several replicas"): two CAS processes serve one backend; a gRPC Write sends 20 MiB of a
// 24 MiB blob to the first, which is killed; QueryWriteStatus on the second says where to go on, and the
// rest sent there stores the blob whole, leaving nothing behind on the server.
//
// A filesystem backend goes on from every byte staged (the second CAS hashes them again); S3 and Azure from
// the last checkpoint (the parts stored, 16 MiB, and the SHA-256 state after them); OCI from the
// checkpoint tagged in the repository (the upload session's Location after 16 MiB, and the state after them).
import { randomUUID } from 'node:crypto';
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
import { cleanUp } from '../support/clean-up.js';
import {
  azureTarget,
  type CrashTarget,
  filesystemTarget,
  ociTarget,
  s3Target,
} from '../support/crash-targets.js';
import { recordFigures } from '../support/figures.js';
import { freePorts, ServiceProcess } from '../support/service-process.js';
import { MiB, randomTestBlob } from '../support/uploads.js';

const ISSUER = 'cairn-e2e';
const AUDIENCE = 'cairn-artifact-cas';
/** Three parts of 8 MiB (S3 parts, Azure blocks) and a few bytes; 20 MiB reach the first CAS. */
const BLOB_BYTES = 24 * MiB + 5;
const SENT_BYTES = 20 * MiB;
const PART_BYTES = 8 * MiB;
/** How long a CAS keeps an interrupted upload in memory here (10 min by default). */
const RESUME_WINDOW_MS = 1_000;

let dir: string;
let key: SigningKey;
let secrets: FileSecretStore;
let swift: RunningServer<SwiftInfo> | undefined;
let azurite: RunningServer<AzuriteInfo> | undefined;
let registry: RunningServer<RegistryEndpoint> | undefined;
const replicas: { process: ServiceProcess; grpc: GrpcTestClient }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-e2e-resume-'));
  [swift, azurite, registry] = await Promise.all([
    startSwift(),
    startAzurite(),
    startRegistry({ kind: 'none' }),
  ]);
  key = await generateSigningKey();
  const keyFile = join(dir, 'jwks.json');
  await writeFile(keyFile, JSON.stringify(publicJwks(key)));
  const storeKeyFile = join(dir, 'store.key');
  await loadOrCreateFileStoreKey(storeKeyFile);
  const secretsDir = join(dir, 'secrets');
  secrets = createFileSecretStore({ directory: secretsDir, key: await readFile(storeKeyFile, 'utf8') });
  await mkdir(join(dir, 'roots'), { recursive: true });
  for (const name of ['cas-1', 'cas-2']) {
    const [grpcPort, httpPort] = await freePorts(2);
    const configFile = join(dir, `${name}.json`);
    await writeFile(
      configFile,
      JSON.stringify({
        grpc: { port: grpcPort },
        http: { port: httpPort },
        tokens: { issuer: ISSUER, audience: AUDIENCE, keyFile },
        secrets: { kind: 'file', directory: secretsDir, keyFile: storeKeyFile },
        backends: { filesystemRoots: [join(dir, 'roots')] },
        uploads: { resumeWindowMs: RESUME_WINDOW_MS },
      }),
    );
    const process = new ServiceProcess({
      name,
      entry: 'apps/artifact-cas/src/main.ts',
      args: ['--config', configFile],
      nodeFlags: CAS_NODE_FLAGS,
      logFile: join(dir, `${name}.log`),
      readyUrl: `http://127.0.0.1:${httpPort}/readyz`,
    });
    await process.start();
    replicas.push({ process, grpc: new GrpcTestClient(`127.0.0.1:${grpcPort}`) });
  }
}, 120_000);

afterAll(() =>
  cleanUp(
    ...replicas.map((replica) => async () => {
      replica.grpc.close();
      await replica.process.stop();
    }),
    () => swift?.stop(),
    () => azurite?.stop(),
    () => registry?.stop(),
    () => (dir ? rm(dir, { recursive: true, force: true }) : undefined),
  ),
);

/** Each case opens its own target (`id` keeps their backends and secrets apart). */
const PROVIDERS: readonly [string, (id: string) => Promise<CrashTarget>, number][] = [
  [
    'filesystem',
    async (id) => {
      await mkdir(join(dir, 'roots', id));
      return filesystemTarget(join(dir, 'roots', id));
    },
    SENT_BYTES,
  ],
  ['aws-s3', (id) => s3Target(required(swift).info, secrets, id), 2 * PART_BYTES],
  ['azure-blob', (id) => azureTarget(required(azurite).info, secrets, id), 2 * PART_BYTES],
  ['oci', async (id) => ociTarget(required(registry).info, `cairn/${id}`, PART_BYTES, id), 2 * PART_BYTES],
];

describe('an upload whose CAS is killed', () => {
  it.each(PROVIDERS)(
    '%s: continues on another replica from where QueryWriteStatus there says, and stores the blob whole',
    async (provider, open, resumesAt) => {
      const target = await open(`killed-${provider}`);
      const [first, second] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      try {
        const upload = await token(target, 'upload');
        const { blob, name, write } = await sendFirstBytes(first, upload);
        // The other replica sees what the first has stored for it (a staging file, a checkpoint).
        const seen = await until(async () => {
          const status = await second.grpc.queryWriteStatus(upload, name).catch(() => undefined);
          return Number(status?.committedSize ?? 0) === resumesAt;
        });
        expect(seen, `the second CAS to report ${resumesAt} bytes`).toBe(true);

        await first.process.kill();
        const killedAt = performance.now();
        await write.response.catch(() => undefined);
        const status = await second.grpc.queryWriteStatus(upload, name);
        expect(Number(status.committedSize)).toBe(resumesAt);
        expect(await second.grpc.write(upload, name, blob.bytes, { offset: resumesAt, chunk: MiB })).toBe(
          BigInt(blob.size),
        );
        const finishedMs = Math.round(performance.now() - killedAt);

        const read = await second.grpc.read(
          await token(target, 'download'),
          `blobs/${blob.hex}/${blob.size}`,
        );
        expect(read.equals(blob.bytes)).toBe(true);
        expect(await target.leftovers()).toEqual([]);
        recordFigures(`${provider} upload resumed on another replica after kill -9`, {
          sentToFirst: SENT_BYTES,
          resumedAt: resumesAt,
          sentAgain: SENT_BYTES - resumesAt,
          finishedAfterKillMs: finishedMs,
        });
      } finally {
        await first.process.start();
        await target.close();
      }
    },
    120_000,
  );
});

describe('an upload left on one replica past its resume window', () => {
  it.each(PROVIDERS.filter(([provider]) => provider !== 'filesystem'))(
    '%s: is left to its checkpoint, not aborted, and another replica finishes it',
    async (provider, open, resumesAt) => {
      const target = await open(`expired-${provider}`);
      const [first, second] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
      try {
        const upload = await token(target, 'upload');
        const { blob, name, write } = await sendFirstBytes(first, upload);
        const holds = await until(
          async () => Number((await first.grpc.queryWriteStatus(upload, name)).committedSize) === SENT_BYTES,
        );
        expect(holds, 'the first CAS to hold what was sent').toBe(true);
        const letGo = async () =>
          (await first.process.logLines()).filter(
            (line) => line.msg === 'upload session expired; left to its checkpoint for any replica',
          ).length;
        const before = await letGo();
        write.call.cancel();
        await write.response.catch(() => undefined);
        // The first CAS lets go of its session once the window is over (and says so in its log).
        const expired = await until(async () => (await letGo()) > before);
        expect(expired, 'the session to expire on the first CAS').toBe(true);
        expect(Number((await second.grpc.queryWriteStatus(upload, name)).committedSize)).toBe(resumesAt);
        expect(await second.grpc.write(upload, name, blob.bytes, { offset: resumesAt, chunk: MiB })).toBe(
          BigInt(blob.size),
        );
        const read = await second.grpc.read(
          await token(target, 'download'),
          `blobs/${blob.hex}/${blob.size}`,
        );
        expect(read.equals(blob.bytes)).toBe(true);
        expect(await target.leftovers()).toEqual([]);
        recordFigures(`${provider} upload resumed on another replica after the first let it go`, {
          resumeWindowMs: RESUME_WINDOW_MS,
          resumedAt: resumesAt,
        });
      } finally {
        await target.close();
      }
    },
    120_000,
  );
});

/** Starts the upload of a fresh blob on `replica` and sends its first SENT_BYTES, leaving the call open. */
async function sendFirstBytes(replica: (typeof replicas)[0], upload: string) {
  const blob = randomTestBlob(BLOB_BYTES);
  const name = `uploads/${randomUUID()}/blobs/${blob.hex}/${blob.size}`;
  const write = replica.grpc.startWrite(upload);
  for (let offset = 0; offset < SENT_BYTES; offset += MiB) {
    await write.send({
      resourceName: offset === 0 ? name : '',
      writeOffset: offset,
      data: blob.bytes.subarray(offset, offset + MiB),
    });
  }
  return { blob, name, write };
}

function token(target: CrashTarget, role: 'upload' | 'download'): Promise<string> {
  const grant: CasGrant = {
    sub: 'e2e:resume',
    org: 'e2e',
    role,
    backend: target.backend,
    secret: target.secret,
    max_bytes: role === 'upload' ? 64 * MiB : 0,
  };
  return mintCasToken(key, grant, { issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: 600 });
}

async function until(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await probe()) return true;
    await sleep(100);
  }
  return false;
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('a storage server did not start');
  return value;
}
