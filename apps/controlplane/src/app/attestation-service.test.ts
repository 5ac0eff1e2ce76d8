import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import {
  AttestationServiceAddMaterialRequestSchema,
  AttestationServiceGetRequestSchema,
  AttestationServiceGetRunRequestSchema,
  AttestationServiceGetUploadCredsRequestSchema,
  AttestationServiceInitRequestSchema,
  AttestationServiceResetRequestSchema,
  AttestationServiceStoreRequestSchema,
  attestationService,
  BundleSource,
  CASBackendServiceCreateRequestSchema,
  casBackendService,
  MaterialKind,
  ResetTrigger,
  WorkflowRunServiceListRequestSchema,
  WorkflowRunState,
  workflowRunService,
} from '@cairn/api';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { signStatement } from '@cairn/attestation';
import { createCasClient } from '@cairn/cas-client';
import { type ControlPlaneClient, createControlPlaneClient } from '@cairn/controlplane-client';
import { Code } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Digest } from '../biz/index.js';
import { createConfig } from '../config/config.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { signedBundle, statementFromGetRun, testSigningKey } from '../testing/statements.js';
import { type RunningControlPlane, startControlPlane } from './start.js';

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
      create(AttestationServiceInitRequestSchema, {
        workflow: 'build',
        project: 'acme/api',
        runner: { type: 'gitlab-ci', url: 'https://gitlab.example/acme/api/-/pipelines/7' },
      }),
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
      attestationService.addMaterial,
      create(AttestationServiceAddMaterialRequestSchema, {
        runId,
        name: 'report',
        kind: MaterialKind.EVIDENCE,
        fileName: 'report.json',
        annotations: { suite: 'unit' },
        source: { case: 'cas', value: { digest, uploadToken: creds.token } },
      }),
    );
    expect(recorded.material).toMatchObject({
      digest,
      size: BigInt(evidence.byteLength),
      backendName: 'local',
      name: 'report',
      kind: MaterialKind.EVIDENCE,
      location: { case: 'backend', value: { name: 'local', provider: 'filesystem' } },
    });
    await acme.call(
      attestationService.addMaterial,
      create(AttestationServiceAddMaterialRequestSchema, {
        runId,
        name: 'tag',
        kind: MaterialKind.STRING,
        source: { case: 'inline', value: { content: new TextEncoder().encode('v1.2.0') } },
      }),
    );
    await acme.call(
      attestationService.addMaterial,
      create(AttestationServiceAddMaterialRequestSchema, {
        runId,
        name: 'image',
        kind: MaterialKind.CONTAINER_IMAGE,
        source: {
          case: 'image',
          value: { reference: 'ghcr.io/acme/api:1', digest: `sha256:${'b'.repeat(64)}`, size: 321n },
        },
      }),
    );
    const clash = acme.call(
      attestationService.addMaterial,
      create(AttestationServiceAddMaterialRequestSchema, {
        runId,
        name: 'tag',
        kind: MaterialKind.STRING,
        source: { case: 'inline', value: { content: new TextEncoder().encode('again') } },
      }),
    );
    await expect(clash).rejects.toMatchObject({
      code: Code.AlreadyExists,
      details: { reason: 'material_name_taken', name: 'tag' },
    });
    const current = await acme.call(
      attestationService.getRun,
      create(AttestationServiceGetRunRequestSchema, { runId }),
    );
    expect(current.run).toMatchObject({
      id: runId,
      state: WorkflowRunState.INITIALIZED,
      runner: { type: 'gitlab-ci', url: 'https://gitlab.example/acme/api/-/pipelines/7' },
      attestationDigest: '',
    });
    expect(current.materials.map((material) => [material.name, material.location.case])).toEqual([
      ['report', 'backend'],
      ['tag', 'inlineContent'],
      ['image', 'imageReference'],
    ]);
    expect(current.materials[0]?.annotations).toEqual({ suite: 'unit' });
    expect(current.materials[2]?.location.value).toBe(`ghcr.io/acme/api:1@sha256:${'b'.repeat(64)}`);

    // Built from the control plane alone, as a step on another machine would.
    const bundle = await signedBundle(statementFromGetRun(current), await testSigningKey());
    const stored = await acme.call(
      attestationService.store,
      create(AttestationServiceStoreRequestSchema, { runId, bundle }),
    );
    expect(stored.run).toMatchObject({
      state: WorkflowRunState.SUCCEEDED,
      attestationDigest: sha256Digest(bundle),
    });
    // Pushed again after a lost answer: the same attestation.
    const retried = await acme.call(
      attestationService.store,
      create(AttestationServiceStoreRequestSchema, { runId, bundle }),
    );
    expect(retried.attestation?.digest).toBe(stored.attestation?.digest);
    const listed = await acme.call(
      workflowRunService.list,
      create(WorkflowRunServiceListRequestSchema, { state: WorkflowRunState.SUCCEEDED }),
    );
    expect(listed.runs).toMatchObject([{ id: runId, attestationDigest: sha256Digest(bundle) }]);
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
    expect(byRun.materials).toMatchObject([
      { digest, backendName: 'local' },
      { name: 'tag' },
      { name: 'image' },
    ]);
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

  it('is driven step by step through the typed client: init, upload credentials, each material source, get, push twice, read back, list, reset', async () => {
    const run = await acme.initRun({
      workflow: 'release',
      project: 'acme/api',
      runner: { type: 'github-actions', url: 'https://github.com/acme/api/actions/runs/1' },
    });
    expect(run).toMatchObject({
      workflow: 'release',
      runner: { type: 'github-actions' },
      backend: { name: 'local' },
    });
    const creds = await acme.uploadCredentials(run.id);
    const binary = new TextEncoder().encode(`binary ${Date.now()}`);
    const digest = sha256Digest(binary);
    const writer = createCasClient({ address: creds.casGrpcAddress, token: creds.token });
    await writer
      .upload({
        digest,
        size: binary.byteLength,
        data: (async function* () {
          yield binary;
        })(),
      })
      .finally(() => writer.close());
    const added = await acme.addMaterial(run.id, {
      name: 'binary',
      kind: 'ARTIFACT',
      fileName: 'api',
      annotations: { arch: 'amd64' },
      source: { cas: { digest, uploadToken: creds.token } },
    });
    expect(added).toMatchObject({ kind: MaterialKind.ARTIFACT, location: { case: 'backend' } });
    const tag = await acme.addMaterial(run.id, { name: 'tag', kind: 'STRING', source: { inline: 'v2.0.0' } });
    expect(tag.digest).toBe(sha256Digest(new TextEncoder().encode('v2.0.0')));
    await acme.addMaterial(run.id, {
      name: 'image',
      kind: 'CONTAINER_IMAGE',
      source: { image: { reference: 'ghcr.io/acme/api:2', digest: `sha256:${'c'.repeat(64)}`, size: 99 } },
    });

    const current = await acme.getRun(run.id);
    expect(current.materials.map((material) => material.name)).toEqual(['binary', 'tag', 'image']);
    const signed = await signStatement(statementFromGetRun(current), await testSigningKey());
    const stored = await acme.storeAttestation(run.id, signed.json);
    expect(stored.attestation?.digest).toBe(signed.digest);
    expect((await acme.storeAttestation(run.id, signed.json)).attestation?.digest).toBe(signed.digest);
    for (const ref of [{ runId: run.id }, { digest: signed.digest }]) {
      const read = await acme.getAttestation(ref);
      expect(Buffer.from(read.bundle).toString('utf8')).toBe(signed.json);
      expect(read.materials.map((material) => material.name)).toEqual(['binary', 'tag', 'image']);
    }
    const listed = await acme.listRuns({ state: 'succeeded', pageSize: 1 });
    expect(listed.runs).toMatchObject([{ id: run.id, attestationDigest: signed.digest }]);
    expect(listed.nextPageToken).not.toBe('');

    const other = await acme.initRun({ workflow: 'release' });
    const reset = await acme.resetRun(other.id, { trigger: 'cancellation', reason: 'superseded' });
    expect(reset).toMatchObject({ state: WorkflowRunState.CANCELLED, resetReason: 'superseded' });
    expect((await acme.resetRun((await acme.initRun({ workflow: 'release' })).id)).state).toBe(
      WorkflowRunState.FAILED,
    );
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
    expect(text).toContain('"method":"AttestationService.Store"');
    expect(text).not.toMatch(/"token":|eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(text).not.toContain('test report');
  });
});

describe('the run lifecycle over gRPC (PGlite, attestations.runLifetimeSeconds 1)', () => {
  let dir: string;
  let cp: RunningControlPlane;
  let acme: ControlPlaneClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-cp-lifecycle-'));
    const config = createConfig(
      {
        stateDir: '.',
        grpc: { port: 0 },
        http: { port: 0 },
        database: { pgliteDir: 'db' },
        validation: { tickMs: 3_600_000 },
        bootstrap: { organization: 'acme', apiTokenFile: 'first-token' },
        attestations: { runLifetimeSeconds: 1 },
      },
      {},
      dir,
    );
    cp = await startControlPlane(config, {
      logger: createLogger({ level: 'error', write: () => {} }),
      casGrpcAddress: () => '',
    });
    const token = (await readFile(join(dir, 'first-token'), 'utf8')).trim();
    acme = createControlPlaneClient({ address: cp.grpcAddress, apiToken: token });
  });

  afterAll(async () => {
    acme?.close();
    await cp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const init = async () => {
    const { run } = await acme.call(
      attestationService.init,
      create(AttestationServiceInitRequestSchema, { workflow: 'build' }),
    );
    return run?.id ?? '';
  };
  const getRun = async (runId: string) =>
    (await acme.call(attestationService.getRun, create(AttestationServiceGetRunRequestSchema, { runId })))
      .run;

  it('resets runs as failed (the default trigger) or cancelled, and shows the reason', async () => {
    const failing = await init();
    const reset = await acme.call(
      attestationService.reset,
      create(AttestationServiceResetRequestSchema, { runId: failing, reason: 'lint failed' }),
    );
    expect(reset.run).toMatchObject({ state: WorkflowRunState.FAILED, resetReason: 'lint failed' });
    expect(reset.run?.finishedAt).toBeDefined();
    expect(await getRun(failing)).toMatchObject({
      state: WorkflowRunState.FAILED,
      resetReason: 'lint failed',
    });

    const cancelling = await init();
    const cancelled = await acme.call(
      attestationService.reset,
      create(AttestationServiceResetRequestSchema, { runId: cancelling, trigger: ResetTrigger.CANCELLATION }),
    );
    expect(cancelled.run).toMatchObject({ state: WorkflowRunState.CANCELLED, resetReason: '' });
    await expect(
      acme.call(
        attestationService.reset,
        create(AttestationServiceResetRequestSchema, { runId: cancelling }),
      ),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(
        /^run .* was cancelled at .*; start a new one with `cairn attestation init`$/,
      ),
      details: { reason: 'run_finished', state: 'cancelled' },
    });
  });

  it('expires a run after the configured lifetime: refused on the next call, shown as expired, swept otherwise', async () => {
    const accessed = await init();
    const swept = await init();
    const run = await getRun(accessed);
    const created = Number(run?.createdAt?.seconds) * 1000 + (run?.createdAt?.nanos ?? 0) / 1e6;
    const expires = Number(run?.expiresAt?.seconds) * 1000 + (run?.expiresAt?.nanos ?? 0) / 1e6;
    expect(expires - created).toBe(1000);
    await sleep(Math.max(0, expires - Date.now()) + 100);

    const add = acme.call(
      attestationService.addMaterial,
      create(AttestationServiceAddMaterialRequestSchema, {
        runId: accessed,
        name: 'tag',
        kind: MaterialKind.STRING,
        source: { case: 'inline', value: { content: new TextEncoder().encode('v1') } },
      }),
    );
    await expect(add).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(
        /^run .* expired at .*: runs must be pushed within 1 s; start a new one with `cairn attestation init`$/,
      ),
      details: { reason: 'run_expired', state: 'expired' },
    });
    expect(await getRun(accessed)).toMatchObject({
      state: WorkflowRunState.EXPIRED,
      finishedAt: run?.expiresAt,
    });

    // The one run left overdue (the others were reset or expired on access) is the sweep's.
    expect(await cp.core.attestations.expiry.sweep()).toBe(1);
    expect(await getRun(swept)).toMatchObject({ state: WorkflowRunState.EXPIRED });
  });

  it('lists the runs over WorkflowRunService, newest first, by state, page by page', async () => {
    const list = (request: {
      state?: WorkflowRunState;
      pageSize?: number;
      pageToken?: string;
      workflow?: string;
    }) => acme.call(workflowRunService.list, create(WorkflowRunServiceListRequestSchema, request));
    const all = await list({});
    // The two tests before made a failed, a cancelled and two expired runs, in that order.
    expect(all.runs.map((run) => run.state)).toEqual([
      WorkflowRunState.EXPIRED,
      WorkflowRunState.EXPIRED,
      WorkflowRunState.CANCELLED,
      WorkflowRunState.FAILED,
    ]);
    expect(all.runs[3]).toMatchObject({
      workflow: 'build',
      resetReason: 'lint failed',
      backend: { name: 'inline' },
    });
    expect((await list({ state: WorkflowRunState.EXPIRED })).runs).toHaveLength(2);
    const first = await list({ pageSize: 3 });
    expect(first.runs.map((run) => run.id)).toEqual(all.runs.slice(0, 3).map((run) => run.id));
    const second = await list({ pageSize: 3, pageToken: first.nextPageToken });
    expect(second).toMatchObject({ runs: [{ id: all.runs[3]?.id }], nextPageToken: '' });
    await expect(list({ pageToken: first.nextPageToken, workflow: 'deploy' })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      details: { reason: 'invalid_page_token' },
    });
  });
});
