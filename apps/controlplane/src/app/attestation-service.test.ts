import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import {
  AttestationServiceGetRequestSchema,
  AttestationServiceGetUploadCredsRequestSchema,
  AttestationServiceInitRequestSchema,
  AttestationServiceRecordMaterialRequestSchema,
  AttestationServiceStoreRequestSchema,
  attestationService,
  BundleSource,
  CASBackendServiceCreateRequestSchema,
  casBackendService,
  WorkflowRunState,
} from '@cairn/api';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { createCasClient } from '@cairn/cas-client';
import { Code } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../biz/index.js';
import { type ControlPlaneClient, createControlPlaneClient } from '../client/controlplane-client.js';
import { createConfig } from '../config/config.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { type RunningControlPlane, startControlPlane } from './control-plane.js';

// Both databases, each with one setting of attestations.skipDbStorage from the config file; the use-case
// tests (biz/attestations.test.ts) cover every combination.
const CASES = [
  { database: 'postgres', skipDbStorage: true },
  { database: 'pglite', skipDbStorage: false },
] as const;

describe.each(CASES)('AttestationService over gRPC on $database (skipDbStorage $skipDbStorage)', (setup) => {
  let dir: string;
  let database: TestDatabase | undefined;
  let cp: RunningControlPlane;
  let cas: RunningArtifactCas;
  let acme: ControlPlaneClient;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-cp-attest-'));
    const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
    if (setup.database === 'postgres') database = await createTestDatabase('postgres');
    const config = createConfig(
      {
        stateDir: '.',
        grpc: { port: 0 },
        http: { port: 0 },
        database: database ? { url: database.url } : { pgliteDir: 'db' },
        validation: { tickMs: 3_600_000 },
        bootstrap: { organization: 'acme', apiTokenFile: 'first-token' },
        attestations: { skipDbStorage: setup.skipDbStorage },
      },
      {},
      dir,
    );
    let casAddress = '';
    cp = await startControlPlane(config, { logger, casGrpcAddress: () => casAddress });
    cas = await startArtifactCas(
      {
        grpc: { port: 0 },
        http: { port: 0 },
        tokens: { jwksUrl: `${cp.httpUrl}/.well-known/jwks.json` },
        backends: { filesystemRoots: [join(dir, 'blobs')] },
      },
      { logger },
    );
    casAddress = cas.grpcAddress;
    const token = (await readFile(join(dir, 'first-token'), 'utf8')).trim();
    acme = createControlPlaneClient({ address: cp.grpcAddress, apiToken: token });
    await mkdir(join(dir, 'blobs', 'acme'), { recursive: true });
    await acme.call(
      casBackendService.create,
      create(CASBackendServiceCreateRequestSchema, {
        name: 'local',
        provider: 'filesystem',
        location: join(dir, 'blobs', 'acme'),
        isDefault: true,
      }),
    );
  });

  afterAll(async () => {
    acme?.close();
    await cas?.close();
    await cp?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const init = (client: ControlPlaneClient) =>
    client.call(
      attestationService.init,
      create(AttestationServiceInitRequestSchema, { workflow: 'build', project: 'acme/api' }),
    );

  it('runs a workflow end to end: init, upload creds, a material, store, get by run and by digest', async () => {
    const { run } = await init(acme);
    expect(run).toMatchObject({
      state: WorkflowRunState.INITIALIZED,
      backend: { name: 'local', provider: 'filesystem', isFallback: false },
    });
    const runId = run?.id ?? '';

    const creds = await acme.call(
      attestationService.getUploadCreds,
      create(AttestationServiceGetUploadCredsRequestSchema, { runId }),
    );
    expect(creds).toMatchObject({ casGrpcAddress: cas.grpcAddress, backend: { name: 'local' } });
    const evidence = new TextEncoder().encode(`test report ${Date.now()}`);
    const digest = sha256Digest(evidence);
    const writer = createCasClient({ address: cas.grpcAddress, token: creds.token });
    await writer
      .upload({
        digest,
        size: evidence.byteLength,
        data: (async function* () {
          yield evidence;
        })(),
      })
      .finally(() => writer.close());
    const recorded = await acme.call(
      attestationService.recordMaterial,
      create(AttestationServiceRecordMaterialRequestSchema, { runId, digest, uploadToken: creds.token }),
    );
    expect(recorded.material).toMatchObject({
      digest,
      size: BigInt(evidence.byteLength),
      backendName: 'local',
    });

    const bundle = new TextEncoder().encode(JSON.stringify({ run: runId, materials: [digest] }));
    const stored = await acme.call(
      attestationService.store,
      create(AttestationServiceStoreRequestSchema, { runId, bundle }),
    );
    expect(stored.run?.state).toBe(WorkflowRunState.SUCCEEDED);
    expect(stored.attestation).toMatchObject({
      digest: sha256Digest(bundle),
      size: BigInt(bundle.byteLength),
      runId,
      storedInDatabase: !setup.skipDbStorage,
      backend: { name: 'local', isFallback: false },
    });
    expect(stored.attestation?.storedInCasAt !== undefined).toBe(setup.skipDbStorage);

    const byRun = await acme.call(
      attestationService.get,
      create(AttestationServiceGetRequestSchema, { ref: { case: 'runId', value: runId } }),
    );
    expect(Buffer.from(byRun.bundle)).toEqual(Buffer.from(bundle));
    expect(byRun.source).toBe(setup.skipDbStorage ? BundleSource.CAS : BundleSource.DATABASE);
    expect(byRun.materials).toMatchObject([{ digest, backendName: 'local' }]);
    const byDigest = await acme.call(
      attestationService.get,
      create(AttestationServiceGetRequestSchema, { ref: { case: 'digest', value: sha256Digest(bundle) } }),
    );
    expect(byDigest.source).toBe(BundleSource.CACHE);
    expect(Buffer.from(byDigest.bundle)).toEqual(Buffer.from(bundle));

    // Without skipDbStorage the background copy lands in the CAS soon after.
    for (let waited = 0; !setup.skipDbStorage; waited += 50) {
      const again = await acme.call(
        attestationService.get,
        create(AttestationServiceGetRequestSchema, { ref: { case: 'runId', value: runId } }),
      );
      if (again.attestation?.storedInCasAt) break;
      if (waited > 30_000) throw new Error('the background copy did not land within 30 s');
      await sleep(50);
    }
    const download = await acme.casToken('download', sha256Digest(bundle));
    expect(download.backend?.name).toBe('local');
    const reader = createCasClient({ address: cas.grpcAddress, token: download.token });
    await expect(reader.describe(sha256Digest(bundle)).finally(() => reader.close())).resolves.toMatchObject({
      size: bundle.byteLength,
    });
  });

  it("refuses unauthenticated calls and another organisation's runs", async () => {
    const { run } = await init(acme);
    const runId = run?.id ?? '';
    const anonymous = createControlPlaneClient({ address: cp.grpcAddress, apiToken: 'cairn_nope' });
    await expect(init(anonymous).finally(() => anonymous.close())).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });

    const other = await cp.core.organizations.create(`other-${setup.database}`);
    const { secret } = await cp.core.apiTokens.create(other.id, { name: 'intruder', kind: 'user' });
    const intruder = createControlPlaneClient({ address: cp.grpcAddress, apiToken: secret });
    try {
      const calls = [
        () =>
          intruder.call(
            attestationService.getUploadCreds,
            create(AttestationServiceGetUploadCredsRequestSchema, { runId }),
          ),
        () =>
          intruder.call(
            attestationService.store,
            create(AttestationServiceStoreRequestSchema, { runId, bundle: new TextEncoder().encode('{}') }),
          ),
        () =>
          intruder.call(
            attestationService.get,
            create(AttestationServiceGetRequestSchema, { ref: { case: 'runId', value: runId } }),
          ),
      ];
      for (const call of calls) await expect(call()).rejects.toMatchObject({ code: Code.NotFound });
      // Its own run sits on its inline default: no CAS token, a clear reason.
      const own = await init(intruder);
      expect(own.run?.backend?.provider).toBe('inline');
      await expect(
        intruder.call(
          attestationService.getUploadCreds,
          create(AttestationServiceGetUploadCredsRequestSchema, { runId: own.run?.id ?? '' }),
        ),
      ).rejects.toMatchObject({ code: Code.FailedPrecondition, details: { reason: 'inline_backend' } });
      await expect(
        intruder.call(attestationService.get, create(AttestationServiceGetRequestSchema, {})),
      ).rejects.toMatchObject({ code: Code.InvalidArgument });
    } finally {
      intruder.close();
    }
  });

  it('logs no bundle, token or API token', () => {
    const text = logs.join('');
    expect(text).toContain('"method":"/cairn.controlplane.v1.AttestationService/Store"');
    expect(text).not.toMatch(/"token":|eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(text).not.toContain('test report');
  });
});
