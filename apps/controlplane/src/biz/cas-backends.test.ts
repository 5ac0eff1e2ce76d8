import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startArtifactCas } from '@cairn/artifact-cas';
import { CairnError, Code } from '@cairn/errors';
import { silentLogger } from '@cairn/observability';
import { createFileSecretStore } from '@cairn/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadAddress } from '../testing/attestation-harness.js';
import { type CoreHarness, createCoreHarness } from '../testing/core-harness.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../testing/databases.js';
import { mergeCredentials } from './cas-backends.js';
import { INLINE_MAX_BYTES } from './organizations.js';

function codeOf(promise: Promise<unknown>): Promise<Code | 'resolved'> {
  return promise.then(
    () => 'resolved' as const,
    (error: unknown) => CairnError.from(error).code,
  );
}

describe.each(DATABASE_KINDS)('CAS backend rules on %s', (kind) => {
  let database: TestDatabase;
  let h: CoreHarness;
  const signal = AbortSignal.timeout(600_000);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    h = await createCoreHarness(database.store);
  });

  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  async function filesystemBackend(
    principal: Parameters<CoreHarness['core']['backends']['list']>[0],
    name: string,
    flags: { isDefault?: boolean; isFallback?: boolean } = {},
  ) {
    return h.core.backends.create(
      principal,
      { name, provider: 'filesystem', location: await h.newBackendDir(), credentials: {}, ...flags },
      signal,
    );
  }

  it('gives a new organisation an inline default capped at 500 KiB', async () => {
    const { principal } = await h.newOrganization();
    const backends = await h.core.backends.list(principal);
    expect(backends).toMatchObject([
      {
        provider: 'inline',
        isDefault: true,
        isFallback: false,
        maxBytes: INLINE_MAX_BYTES,
        validationStatus: 'ok',
      },
    ]);
    await expect(codeOf(h.core.backends.delete(principal, { name: 'inline' }))).resolves.toBe(
      Code.FailedPrecondition,
    );
    await expect(
      codeOf(
        h.core.backends.update(principal, { name: 'inline' }, { maxBytes: INLINE_MAX_BYTES + 1 }, signal),
      ),
    ).resolves.toBe(Code.InvalidArgument);
  });

  it('creates a backend only after a real write check, and moves the default in one step', async () => {
    const { principal } = await h.newOrganization();
    const created = await filesystemBackend(principal, 'primary', { isDefault: true });
    expect(created).toMatchObject({ isDefault: true, validationStatus: 'ok', secretRef: null });
    const list = await h.core.backends.list(principal);
    expect(list.filter((backend) => backend.isDefault).map((backend) => backend.name)).toEqual(['primary']);

    const broken = await h.newBackendDir();
    await h.breakBackendDir(broken);
    const refused = h.core.backends.create(
      principal,
      { name: 'broken', provider: 'filesystem', location: broken, credentials: {} },
      signal,
    );
    await expect(refused).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('write check'),
    });
    expect((await h.core.backends.list(principal)).map((backend) => backend.name).sort()).toEqual([
      'inline',
      'primary',
    ]);
  });

  it('refuses a directory the CAS does not serve or that does not exist, and saves nothing', async () => {
    const { principal } = await h.newOrganization();
    const outside = join(h.dir, `outside-${randomUUID()}`);
    await mkdir(outside);
    await expect(
      h.core.backends.create(
        principal,
        { name: 'outside', provider: 'filesystem', location: outside, credentials: {}, isDefault: true },
        signal,
      ),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: `backend "outside" failed the write check, so nothing was saved: directory ${outside} is not served by this CAS, which serves ${h.backendsRoot}; choose a directory under it (\`cairn cas-backend add filesystem --path DIR\`), or have an operator add it to the CAS's backends.filesystemRoots`,
      details: { reason: 'write_check_failed', check_reason: 'filesystem_root_not_allowed' },
    });
    const missing = join(h.backendsRoot, `missing-${randomUUID()}`);
    await expect(
      h.core.backends.create(
        principal,
        { name: 'missing', provider: 'filesystem', location: missing, credentials: {} },
        signal,
      ),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: `backend "missing" failed the write check, so nothing was saved: directory ${missing} does not exist on the CAS's host; create it and try again`,
      details: { reason: 'write_check_failed', check_reason: 'directory_missing' },
    });
    expect((await h.core.backends.list(principal)).map((backend) => backend.name)).toEqual(['inline']);
  });

  it('marks a backend invalid on revalidation once its CAS no longer serves it, and uploads take the fallback', async () => {
    const { principal } = await h.newOrganization();
    await filesystemBackend(principal, 'primary', { isDefault: true });
    await filesystemBackend(principal, 'spare', { isFallback: true });
    expect((await h.core.credentials.issue(principal, 'upload')).backend.name).toBe('primary');

    // Another CAS, on the same keys and secrets, that serves only some other directory.
    const narrowRoot = join(h.dir, `narrow-${randomUUID()}`);
    await mkdir(narrowRoot);
    const narrow = await startArtifactCas(
      {
        grpc: { port: 0 },
        http: { port: 0 },
        tokens: { jwks: h.core.issuer.jwks() },
        backends: { filesystemRoots: [narrowRoot] },
      },
      { logger: silentLogger, secretStore: h.secrets },
    );
    h.useCasAddress(narrow.grpcAddress);
    try {
      const checked = await h.core.backends.revalidate(principal, { name: 'primary' }, signal);
      expect(checked.validationStatus).toBe('failed');
      expect(checked.validationError).toMatch(
        new RegExp(`^directory .* is not served by this CAS, which serves ${narrowRoot};`),
      );
    } finally {
      h.useCasAddress(undefined);
      await narrow.close();
    }
    const issued = await h.core.credentials.issue(principal, 'upload');
    expect(issued).toMatchObject({ isFallback: true, backend: { name: 'spare' } });
  });

  it('says so when the CAS reads another secret store than the control plane', async () => {
    const { principal } = await h.newOrganization();
    const elsewhere = await startArtifactCas(
      {
        grpc: { port: 0 },
        http: { port: 0 },
        tokens: { jwks: h.core.issuer.jwks() },
        backends: { filesystemRoots: [h.backendsRoot] },
      },
      {
        logger: silentLogger,
        secretStore: createFileSecretStore({
          directory: join(h.dir, `other-${randomUUID()}`),
          key: randomBytes(32),
        }),
      },
    );
    h.useCasAddress(elsewhere.grpcAddress);
    try {
      await expect(
        h.core.backends.create(
          principal,
          {
            name: 'registry',
            provider: 'oci',
            location: '127.0.0.1:9/cairn/unreached',
            credentials: { username: 'robot', password: 'not-read' },
          },
          signal,
        ),
      ).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        message:
          'backend "registry" failed the write check, so nothing was saved: the CAS finds no credentials under the secret reference of "registry": either it reads another secret store than the control plane (their "secrets" settings must name the same one), or they were lost (store them again with `cairn cas-backend update registry`)',
        details: { reason: 'write_check_failed', check_reason: 'credentials_missing' },
      });
    } finally {
      h.useCasAddress(undefined);
      await elsewhere.close();
    }
  });

  it('cannot validate without a reachable CAS: creation is UNAVAILABLE and revalidation fails', async () => {
    const { principal } = await h.newOrganization();
    const kept = await filesystemBackend(principal, 'kept', { isDefault: true });
    const nowhere = await deadAddress();
    h.useCasAddress(nowhere);
    try {
      await expect(filesystemBackend(principal, 'new')).rejects.toMatchObject({
        code: Code.Unavailable,
        message: expect.stringMatching(
          new RegExp(
            `^backend "new" failed the write check, so nothing was saved: cannot reach the CAS at ${nowhere} `,
          ),
        ),
        details: { reason: 'write_check_failed', check_reason: 'unreachable' },
      });
      const checked = await h.core.backends.revalidate(principal, { id: kept.id }, signal);
      expect(checked.validationStatus).toBe('failed');
      expect(checked.validationError).toMatch(/^cannot reach the CAS at /);
      h.useCasAddress('');
      await expect(filesystemBackend(principal, 'new')).rejects.toMatchObject({
        code: Code.FailedPrecondition,
        details: { reason: 'write_check_failed', check_reason: 'cas_not_configured' },
      });
    } finally {
      h.useCasAddress(undefined);
    }
    expect((await h.core.backends.revalidate(principal, { id: kept.id }, signal)).validationStatus).toBe(
      'ok',
    );
  });

  it('merges changed credential fields over the stored ones; an empty value removes a field', () => {
    expect(
      mergeCredentials(
        { accessKeyId: 'a', secretAccessKey: 'old', region: 'r', endpoint: 'e' },
        {
          secretAccessKey: 'new',
          endpoint: '',
        },
      ),
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 'new', region: 'r' });
  });

  it('refuses bad names, duplicate live names, unknown providers and inline creation', async () => {
    const { principal } = await h.newOrganization();
    const location = await h.newBackendDir();
    const create = (name: string, provider = 'filesystem') =>
      codeOf(h.core.backends.create(principal, { name, provider, location, credentials: {} }, signal));
    await expect(create('Not_DNS')).resolves.toBe(Code.InvalidArgument);
    await expect(create('x'.repeat(64))).resolves.toBe(Code.InvalidArgument);
    await expect(create('ok-name', 'ftp')).resolves.toBe(Code.InvalidArgument);
    await expect(create('ok-name', 'inline')).resolves.toBe(Code.InvalidArgument);
    await expect(create('ok-name')).resolves.toBe('resolved');
    await expect(create('ok-name')).resolves.toBe(Code.AlreadyExists);
    await expect(
      codeOf(
        h.core.backends.create(
          principal,
          {
            name: 'both',
            provider: 'filesystem',
            location,
            credentials: {},
            isDefault: true,
            isFallback: true,
          },
          signal,
        ),
      ),
    ).resolves.toBe(Code.InvalidArgument);
  });

  it('leaves exactly one default and one fallback after 50 concurrent changes of each', async () => {
    const { principal } = await h.newOrganization();
    const names = Array.from({ length: 10 }, (_, i) => `b${i}`);
    for (const name of names) await filesystemBackend(principal, name);
    const calls = Array.from({ length: 100 }, (_, i) => {
      const name = names[i % names.length] ?? 'b0';
      return h.core.backends.update(
        principal,
        { name },
        i % 2 === 0 ? { isDefault: true } : { isFallback: true },
        signal,
      );
    });
    const outcomes = await Promise.allSettled(calls);
    // A call may lose to another that just made its backend the default ("cannot also be the fallback").
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected')
        expect(CairnError.from(outcome.reason).code).toBe(Code.FailedPrecondition);
    }
    const list = await h.core.backends.list(principal);
    expect(list.filter((backend) => backend.isDefault)).toHaveLength(1);
    expect(list.filter((backend) => backend.isFallback)).toHaveLength(1);
    expect(list.filter((backend) => backend.isDefault && backend.isFallback)).toHaveLength(0);
  });

  it('refuses to unset the default or to make the default the fallback, and promotes the fallback on request', async () => {
    const { principal } = await h.newOrganization();
    await filesystemBackend(principal, 'a', { isDefault: true });
    await filesystemBackend(principal, 'b', { isFallback: true });
    await expect(
      codeOf(h.core.backends.update(principal, { name: 'a' }, { isDefault: false }, signal)),
    ).resolves.toBe(Code.FailedPrecondition);
    await expect(
      codeOf(h.core.backends.update(principal, { name: 'a' }, { isFallback: true }, signal)),
    ).resolves.toBe(Code.FailedPrecondition);
    const promoted = await h.core.backends.update(principal, { name: 'b' }, { isDefault: true }, signal);
    expect(promoted).toMatchObject({ isDefault: true, isFallback: false });
    expect((await h.core.backends.get(principal, { name: 'a' })).isDefault).toBe(false);
  });

  it('promotes the fallback, then inline, when the default is deleted', async () => {
    const { principal } = await h.newOrganization();
    const a = await filesystemBackend(principal, 'a', { isDefault: true });
    const b = await filesystemBackend(principal, 'b', { isFallback: true });
    const afterFirst = await h.core.backends.delete(principal, { id: a.id });
    expect(afterFirst).toMatchObject({ id: b.id, isDefault: true, isFallback: false });
    const afterSecond = await h.core.backends.delete(principal, { name: 'b' });
    expect(afterSecond).toMatchObject({ provider: 'inline', isDefault: true });
    expect((await h.core.backends.list(principal)).map((backend) => backend.name)).toEqual(['inline']);
    await expect(codeOf(h.core.backends.get(principal, { id: a.id }))).resolves.toBe(Code.NotFound);
    // The name is free again.
    await filesystemBackend(principal, 'a');
  });

  it("never lets one organisation see or change another one's backends", async () => {
    const owner = await h.newOrganization();
    const intruder = await h.newOrganization();
    const backend = await filesystemBackend(owner.principal, 'private');
    const ref = { id: backend.id };
    await expect(codeOf(h.core.backends.get(intruder.principal, ref))).resolves.toBe(Code.NotFound);
    await expect(codeOf(h.core.backends.get(intruder.principal, { name: 'private' }))).resolves.toBe(
      Code.NotFound,
    );
    await expect(
      codeOf(h.core.backends.update(intruder.principal, ref, { isDefault: true }, signal)),
    ).resolves.toBe(Code.NotFound);
    await expect(codeOf(h.core.backends.delete(intruder.principal, ref))).resolves.toBe(Code.NotFound);
    await expect(codeOf(h.core.backends.revalidate(intruder.principal, ref, signal))).resolves.toBe(
      Code.NotFound,
    );
    expect((await h.core.backends.list(intruder.principal)).map((b) => b.name)).toEqual(['inline']);
    await expect(
      codeOf(h.core.apiTokens.revoke(intruder.principal.orgId, owner.principal.tokenId)),
    ).resolves.toBe(Code.NotFound);
    expect(await h.core.apiTokens.authenticate(owner.secret)).toMatchObject({ orgId: owner.org.id });
  });

  it('switches uploads to the fallback once background validation finds the default broken', async () => {
    const { principal } = await h.newOrganization();
    const primaryDir = await h.newBackendDir();
    await h.core.backends.create(
      principal,
      { name: 'primary', provider: 'filesystem', location: primaryDir, credentials: {}, isDefault: true },
      signal,
    );
    await filesystemBackend(principal, 'spare', { isFallback: true });
    expect((await h.core.credentials.issue(principal, 'upload')).backend.name).toBe('primary');

    await h.breakBackendDir(primaryDir);
    const lines = h.logs.length;
    const schedule = {
      primaryIntervalMs: 0,
      failedIntervalMs: 0,
      allIntervalMs: 0,
      tickMs: 10,
      batchSize: 1000,
    };
    const { ValidationScheduler } = await import('./validation-scheduler.js');
    const { silentLogger } = await import('@cairn/observability');
    const scheduler = new ValidationScheduler(
      h.store,
      h.core.validator,
      silentLogger,
      schedule,
      () => new Date(Date.now() + 1000),
    );
    const run = await scheduler.runDue(signal);
    expect(run.ran).toBe(true);

    const primary = await h.core.backends.get(principal, { name: 'primary' });
    expect(primary).toMatchObject({ validationStatus: 'failed', isDefault: true });
    expect(primary.validationError).toBe(
      `${primaryDir} on the CAS's host is not a directory; give the path of a directory`,
    );
    const issued = await h.core.credentials.issue(principal, 'upload');
    expect(issued).toMatchObject({ isFallback: true, backend: { name: 'spare' } });

    const events = await h.store.events.list(principal.orgId, { kind: 'cas_backend.validation_changed' });
    expect(events).toMatchObject([{ data: { backend: 'primary', from: 'ok', to: 'failed' } }]);
    const logged = h.logs.slice(lines).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ event: 'cas_backend.validation_changed', backend: 'primary', to: 'failed' }),
    );

    // With the fallback broken too, uploads fail with a message that says what to do.
    await h.core.backends.delete(principal, { name: 'spare' });
    const promoted = await h.core.backends.list(principal);
    expect(promoted.find((b) => b.isDefault)?.name).toBe('primary');
    await expect(h.core.credentials.issue(principal, 'upload')).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(
        /^no valid CAS backend: default "primary" failed validation at .*; fix it \(`cairn cas-backend update primary`\) and recheck \(`cairn cas-backend revalidate primary`\), or add a fallback \(`cairn cas-backend add <oci\|aws-s3\|azure-blob\|filesystem> \.\.\. --fallback`\)$/,
      ),
    });
  });

  it("finds a blob's backend for downloads after the default changed and after a soft delete", async () => {
    const { principal } = await h.newOrganization();
    const first = await filesystemBackend(principal, 'first', { isDefault: true });
    const digest = `sha256:${'b'.repeat(64)}`;
    await h.core.mapping.recordLanded(principal.orgId, digest, first.id, 42);
    await filesystemBackend(principal, 'second', { isDefault: true });
    expect((await h.core.credentials.issue(principal, 'download', digest)).backend.id).toBe(first.id);
    await h.core.backends.delete(principal, { name: 'first' });
    const issued = await h.core.credentials.issue(principal, 'download', digest);
    expect(issued.backend).toMatchObject({ id: first.id, deletedAt: expect.any(Date) });
    const payload = JSON.parse(Buffer.from(issued.token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(payload).toMatchObject({
      role: 'download',
      digest,
      backend: { id: first.id },
      org: principal.orgId,
    });
    // An unknown digest downloads from the default.
    const other = await h.core.credentials.issue(principal, 'download', `sha256:${'c'.repeat(64)}`);
    expect(other.backend.name).toBe('second');
  });

  it('authenticates API tokens by hash, and refuses revoked and expired ones', async () => {
    const { org, secret, principal } = await h.newOrganization();
    const row = await h.store.apiTokens.findByHash((await import('./api-tokens.js')).hashApiToken(secret));
    expect(row?.id).toBe(principal.tokenId);
    const robot = await h.core.apiTokens.create(org.id, { name: 'ci', kind: 'robot' });
    expect((await h.core.apiTokens.authenticate(robot.secret)).kind).toBe('robot');
    await h.core.apiTokens.revoke(org.id, robot.token.id);
    await expect(codeOf(h.core.apiTokens.authenticate(robot.secret))).resolves.toBe(Code.Unauthenticated);
    await expect(codeOf(h.core.apiTokens.authenticate('cairn_nope'))).resolves.toBe(Code.Unauthenticated);
    const shortLived = await h.core.apiTokens.create(org.id, {
      name: 'soon',
      kind: 'user',
      expiresAt: new Date(Date.now() + 50),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(codeOf(h.core.apiTokens.authenticate(shortLived.secret))).resolves.toBe(
      Code.Unauthenticated,
    );
  });
});
