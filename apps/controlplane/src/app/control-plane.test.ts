import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  APITokenKind,
  APITokenServiceCreateRequestSchema,
  APITokenServiceListRequestSchema,
  APITokenServiceRevokeRequestSchema,
  apiTokenService,
  CASBackendRefSchema,
  CASBackendServiceCreateRequestSchema,
  CASBackendServiceGetRequestSchema,
  CASBackendServiceListRequestSchema,
  casBackendService,
  health,
  healthService,
} from '@cairn/api';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { createCasClient } from '@cairn/cas-client';
import { createCasTokenVerifier, generateSigningKey } from '@cairn/cas-token';
import { type ControlPlaneClient, createControlPlaneClient } from '@cairn/controlplane-client';
import { CairnError, Code } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfig } from '../config/config.js';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { bootstrapAdmin } from './bootstrap.js';
import { type RunningControlPlane, startControlPlane } from './start.js';

function codeOf(promise: Promise<unknown>): Promise<Code | 'resolved'> {
  return promise.then(
    () => 'resolved' as const,
    (error: unknown) => CairnError.from(error).code,
  );
}

function tokenPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

function tokenKid(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')).kid;
}

describe('control plane with an artifact CAS', () => {
  let dir: string;
  let database: TestDatabase;
  let cp: RunningControlPlane;
  let cas: RunningArtifactCas;
  let acme: ControlPlaneClient;
  let acmeToken: string;
  const logs: string[] = [];
  const blobsRoot = () => join(dir, 'blobs');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-cp-e2e-'));
    database = await createTestDatabase('postgres');
    const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
    const config = createConfig(
      {
        stateDir: '.',
        grpc: { port: 0 },
        http: { port: 0 },
        database: { url: database.url },
        validation: { tickMs: 3_600_000 },
        bootstrap: { organization: 'acme', apiTokenFile: 'first-token' },
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
        backends: { filesystemRoots: [blobsRoot()] },
        secrets: { kind: 'file', directory: join(dir, 'secrets'), keyFile: join(dir, 'secrets.key') },
      },
      { logger },
    );
    casAddress = cas.grpcAddress;
    acmeToken = (await readFile(join(dir, 'first-token'), 'utf8')).trim();
    acme = createControlPlaneClient({ address: cp.grpcAddress, apiToken: acmeToken });
    await mkdir(join(blobsRoot(), 'acme'), { recursive: true });
    await acme.call(
      casBackendService.create,
      create(CASBackendServiceCreateRequestSchema, {
        name: 'local',
        provider: 'filesystem',
        location: join(blobsRoot(), 'acme'),
        isDefault: true,
      }),
    );
  });

  /** Writes `bytes` to `file` and uploads it to the test's CAS with `token`, as a client would. */
  async function uploadToCas(file: string, bytes: Buffer, token: string): Promise<void> {
    await writeFile(file, bytes);
    const client = createCasClient({ address: cas.grpcAddress, token });
    try {
      await client.upload(file);
    } finally {
      client.close();
    }
  }

  afterAll(async () => {
    acme?.close();
    await cas?.close();
    await cp?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses calls without a valid API token but answers health checks', async () => {
    const anonymous = createControlPlaneClient({ address: cp.grpcAddress, apiToken: 'cairn_wrong' });
    try {
      await expect(
        codeOf(anonymous.call(casBackendService.list, create(CASBackendServiceListRequestSchema))),
      ).resolves.toBe(Code.Unauthenticated);
    } finally {
      anonymous.close();
    }
    const client = new Client(cp.grpcAddress, credentials.createInsecure());
    const status = await new Promise<health.HealthCheckResponse>((resolve, reject) =>
      client.makeUnaryRequest(
        healthService.check.path,
        healthService.check.requestSerialize,
        healthService.check.responseDeserialize,
        create(health.HealthCheckRequestSchema, { service: '' }),
        new Metadata(),
        (error, response) => (error || !response ? reject(error) : resolve(response)),
      ),
    );
    client.close();
    expect(status.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
  });

  it('serves the JWKS, health, readiness and metrics over HTTP', async () => {
    const jwks = (await (await fetch(`${cp.httpUrl}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.keys) expect(key.d).toBeUndefined();
    expect((await fetch(`${cp.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${cp.httpUrl}/readyz`)).status).toBe(200);
    expect(await (await fetch(`${cp.httpUrl}/metrics`)).text()).toContain('cairn_controlplane_calls_total');
  });

  it('mints tokens the CAS accepts, and maps a client upload only after the CAS confirms it', async () => {
    const bytes = Buffer.from(`evidence ${Date.now()}`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const upload = await acme.casToken('upload');
    expect(upload.backend).toMatchObject({ name: 'local', provider: 'filesystem', isFallback: false });
    expect(upload.casGrpcAddress).toBe(cas.grpcAddress);
    expect(tokenPayload(upload.token)).toMatchObject({
      role: 'upload',
      org: expect.any(String),
      sub: expect.stringMatching(/^api-token:/),
    });

    await uploadToCas(join(dir, 'evidence.txt'), bytes, upload.token);
    const recorded = await acme.recordUpload(digest, upload.token);
    expect(recorded).toMatchObject({ digest, backendName: 'local', size: BigInt(bytes.length) });

    const missing = `sha256:${'0'.repeat(64)}`;
    await expect(acme.recordUpload(missing, upload.token)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
    await expect(acme.recordUpload(digest, 'not-a-token')).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });

    const download = await acme.casToken('download', digest);
    expect(tokenPayload(download.token)).toMatchObject({ role: 'download', digest });
    const reader = createCasClient({ address: cas.grpcAddress, token: download.token });
    try {
      const target = join(dir, 'downloaded.txt');
      await reader.download(digest, target);
      expect(await readFile(target)).toEqual(bytes);
    } finally {
      reader.close();
    }
  });

  it('hands clients cas.publicGrpcAddress while it reaches the CAS itself at cas.grpcAddress', async () => {
    // A second replica on the same database and key, configured as behind a load balancer.
    const replica = await startControlPlane(
      createConfig(
        {
          stateDir: '.',
          grpc: { port: 0 },
          http: { port: 0 },
          database: { url: database.url },
          validation: { tickMs: 3_600_000 },
          cas: { publicGrpcAddress: 'cas.example.invalid:443' },
        },
        { CAIRN_CAS_GRPC_ADDRESS: cas.grpcAddress },
        dir,
      ),
      { logger: createLogger({ level: 'error', write: () => undefined }) },
    );
    const client = createControlPlaneClient({ address: replica.grpcAddress, apiToken: acmeToken });
    try {
      const upload = await client.casToken('upload');
      expect(upload.casGrpcAddress).toBe('cas.example.invalid:443');
      const bytes = Buffer.from(`behind a balancer ${Date.now()}`);
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      await uploadToCas(join(dir, 'balanced.txt'), bytes, upload.token);
      // Confirming the upload asks the CAS at the internal address; the public one does not resolve.
      expect(await client.recordUpload(digest, upload.token)).toMatchObject({ digest, backendName: 'local' });
    } finally {
      client.close();
      await replica.close();
    }
  });

  it('updates credentials and deletes backends through the client', async () => {
    await mkdir(join(blobsRoot(), 'acme-spare'));
    await acme.createBackend({
      name: 'spare',
      provider: 'filesystem',
      location: join(blobsRoot(), 'acme-spare'),
    });
    await expect(acme.updateBackend('spare', { credentials: { token: 'x' } })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: 'filesystem credentials take no fields, but "token" was given; remove it',
    });
    expect(await acme.updateBackend('spare', { description: 'kept', credentials: {} })).toMatchObject({
      description: 'kept',
    });
    expect(await acme.deleteBackend('spare')).toMatchObject({ name: 'local', isDefault: true });
    await expect(acme.getBackend('spare')).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('keeps every organisation inside its own walls', async () => {
    const other = await cp.core.organizations.create('other-org');
    const { secret } = await cp.core.apiTokens.create(other.id, { name: 'intruder', kind: 'user' });
    const intruder = createControlPlaneClient({ address: cp.grpcAddress, apiToken: secret });
    try {
      const local = await acme.getBackend('local');
      const byId = create(CASBackendServiceGetRequestSchema, {
        backend: create(CASBackendRefSchema, { ref: { case: 'id', value: local.id } }),
      });
      await expect(codeOf(intruder.call(casBackendService.get, byId))).resolves.toBe(Code.NotFound);
      const listed = await intruder.call(casBackendService.list, create(CASBackendServiceListRequestSchema));
      expect(listed.backends.map((backend) => backend.name)).toEqual(['inline']);
      const acmeUpload = await acme.casToken('upload');
      await expect(codeOf(intruder.recordUpload(`sha256:${'1'.repeat(64)}`, acmeUpload.token))).resolves.toBe(
        Code.PermissionDenied,
      );
      // Its own uploads have nowhere to go but inline, which the CAS does not serve.
      await expect(intruder.casToken('upload')).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        message:
          'the organisation\'s default backend "inline" is inline: it keeps evidence inside attestations, and the CAS stores no blobs for it; add a CAS backend as the default with `cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default`',
        details: { reason: 'inline_backend' },
      });
    } finally {
      intruder.close();
    }
  });

  it("creates, lists and revokes API tokens of the caller's organisation", async () => {
    const created = await acme.call(
      apiTokenService.create,
      create(APITokenServiceCreateRequestSchema, { name: 'ci', kind: APITokenKind.API_TOKEN_KIND_ROBOT }),
    );
    expect(created.secret).toMatch(/^cairn_/);
    const robot = createControlPlaneClient({ address: cp.grpcAddress, apiToken: created.secret });
    try {
      await robot.casToken('upload');
      const listed = await acme.call(apiTokenService.list, create(APITokenServiceListRequestSchema));
      expect(listed.tokens.map((token) => token.name)).toContain('ci');
      await acme.call(
        apiTokenService.revoke,
        create(APITokenServiceRevokeRequestSchema, { id: created.token?.id ?? '' }),
      );
      await expect(codeOf(robot.casToken('upload'))).resolves.toBe(Code.Unauthenticated);
    } finally {
      robot.close();
    }
  });

  it('lets an admin token create organisations and their tokens, and nothing else', async () => {
    const adminSecret = await bootstrapAdmin(cp.core, 'ops');
    const admin = createControlPlaneClient({ address: cp.grpcAddress, apiToken: adminSecret });
    const adminRefusal =
      "this is an admin token, which manages organisations and API tokens only; for CAS backends, CAS tokens and attestations use an organisation's API token (`cairn token create --org NAME` makes one)";
    try {
      const created = await admin.createOrganization('beta', { tokenName: 'beta-first' });
      expect(created.organization).toMatchObject({ name: 'beta' });
      expect(created.token).toMatchObject({
        name: 'beta-first',
        kind: APITokenKind.API_TOKEN_KIND_USER,
        organizationName: 'beta',
      });
      expect(created.secret).toMatch(/^cairn_[\w-]{43}$/);
      await expect(admin.createOrganization('beta')).rejects.toMatchObject({ code: Code.AlreadyExists });
      expect((await admin.listOrganizations()).map((org) => org.name)).toEqual(
        expect.arrayContaining(['acme', 'beta']),
      );

      const beta = createControlPlaneClient({ address: cp.grpcAddress, apiToken: created.secret });
      try {
        expect((await beta.listBackends()).map((backend) => backend.name)).toEqual(['inline']);
        expect((await beta.listOrganizations()).map((org) => org.name)).toEqual(['beta']);
        await expect(beta.createOrganization('gamma')).rejects.toMatchObject({
          code: Code.PermissionDenied,
          details: { reason: 'admin_only' },
        });
        await expect(beta.createApiToken({ name: 'boss', kind: 'admin' })).rejects.toMatchObject({
          code: Code.PermissionDenied,
          message:
            'only an admin token may create admin tokens; an operator makes the first with `controlplane bootstrap --admin`',
        });
        await expect(beta.listApiTokens({ organization: 'acme' })).rejects.toMatchObject({
          code: Code.PermissionDenied,
          details: { reason: 'other_organization' },
        });
        expect((await beta.listApiTokens({ organization: 'beta' })).map((token) => token.name)).toEqual([
          'beta-first',
        ]);
      } finally {
        beta.close();
      }

      // Organisation-scoped services refuse the admin token, saying what to use instead.
      for (const call of [
        () => admin.listBackends(),
        () => admin.casToken('upload'),
        () => admin.recordUpload(`sha256:${'2'.repeat(64)}`, 'token'),
      ]) {
        await expect(call()).rejects.toMatchObject({
          code: Code.PermissionDenied,
          message: adminRefusal,
          details: { reason: 'admin_token' },
        });
      }

      // Tokens of a named organisation; admin tokens when none is named.
      await expect(admin.createApiToken({ name: 'ci', kind: 'robot' })).rejects.toMatchObject({
        code: Code.InvalidArgument,
        details: { reason: 'organization_required' },
      });
      await expect(
        admin.createApiToken({ name: 'ci', kind: 'robot', organization: 'nowhere' }),
      ).rejects.toMatchObject({ code: Code.NotFound });
      const robot = await admin.createApiToken({ name: 'ci', kind: 'robot', organization: 'beta' });
      expect(robot.token).toMatchObject({
        kind: APITokenKind.API_TOKEN_KIND_ROBOT,
        organizationName: 'beta',
      });
      const listed = await admin.listApiTokens({ organization: 'beta' });
      expect(listed.map((token) => token.name).sort()).toEqual(['beta-first', 'ci']);
      const shown = JSON.stringify(listed, (_key, value) => (typeof value === 'bigint' ? `${value}` : value));
      expect(shown).not.toContain(robot.secret.slice(6));
      const second = await admin.createApiToken({ name: 'second-admin', kind: 'admin' });
      expect(second.token).toMatchObject({ kind: APITokenKind.API_TOKEN_KIND_ADMIN, organizationId: '' });
      expect((await admin.listApiTokens()).map((token) => token.name)).toEqual(
        expect.arrayContaining(['ops', 'second-admin']),
      );
      await admin.revokeApiToken(robot.token?.id ?? '');
      await admin.revokeApiToken(second.token?.id ?? '', {});
      await expect(admin.revokeApiToken(robot.token?.id ?? '')).rejects.toMatchObject({
        code: Code.NotFound,
      });
      const revoked = createControlPlaneClient({ address: cp.grpcAddress, apiToken: second.secret });
      await expect(revoked.listOrganizations().finally(() => revoked.close())).rejects.toMatchObject({
        code: Code.Unauthenticated,
      });
      // An organisation's token revokes only its own organisation's tokens.
      const betaToken = (await admin.listApiTokens({ organization: 'beta' }))[0];
      await expect(acme.revokeApiToken(betaToken?.id ?? '')).rejects.toMatchObject({ code: Code.NotFound });
    } finally {
      admin.close();
    }
    expect(logs.join('')).not.toContain(adminSecret);
  });

  it('rotates signing keys with an overlap in which tokens of both keys verify against the published JWKS', async () => {
    const bytes = Buffer.from(`rotation ${Date.now()}`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const upload = await acme.casToken('upload');
    const writer = createCasClient({ address: cas.grpcAddress, token: upload.token });
    await writer
      .upload({
        digest,
        size: bytes.length,
        data: (async function* () {
          yield bytes;
        })(),
      })
      .finally(() => writer.close());
    const oldToken = (await acme.casToken('download', digest)).token;
    const oldKid = tokenKid(oldToken);

    cp.core.issuer.rotate(await generateSigningKey());
    const newToken = (await acme.casToken('download', digest)).token;
    expect(tokenKid(newToken)).not.toBe(oldKid);

    const jwksUrl = `${cp.httpUrl}/.well-known/jwks.json`;
    const jwks = (await (await fetch(jwksUrl)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, tokenKid(newToken)]));
    const verifier = createCasTokenVerifier({
      issuer: cp.config.tokens.issuer,
      audience: cp.config.tokens.audience,
      keys: { kind: 'jwks-url', url: jwksUrl },
    });
    await expect(verifier.verify(oldToken, { role: 'download', digest })).resolves.toMatchObject({ digest });
    await expect(verifier.verify(newToken, { role: 'download', digest })).resolves.toMatchObject({ digest });
    // The CAS, which cached the JWKS before the rotation, still serves tokens of the old key.
    const reader = createCasClient({ address: cas.grpcAddress, token: oldToken });
    await expect(reader.describe(digest).finally(() => reader.close())).resolves.toMatchObject({
      size: bytes.length,
    });

    cp.core.issuer.retire(oldKid);
    const afterOverlap = createCasTokenVerifier({
      issuer: cp.config.tokens.issuer,
      audience: cp.config.tokens.audience,
      keys: { kind: 'jwks-url', url: jwksUrl },
    });
    await expect(codeOf(afterOverlap.verify(oldToken, { role: 'download', digest }))).resolves.toBe(
      Code.Unauthenticated,
    );
  });

  it('writes no API token into its logs', () => {
    const text = logs.join('');
    expect(text).not.toContain(acmeToken);
    expect(text).toContain('"method":"CASCredentialsService.Get"');
  });
});
