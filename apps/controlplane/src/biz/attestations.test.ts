import { Code } from '@cairn/errors';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttestationHarness,
  createAttestationHarness,
  deadAddress,
} from '../testing/attestation-harness.js';
import { DATABASE_KINDS } from '../testing/databases.js';
import { sha256Digest } from './attestation-bundle.js';
import type { Principal } from './principal.js';

let bundleCounter = 0;
function newBundle(extra: Record<string, unknown> = {}): Uint8Array {
  bundleCounter++;
  const envelope = {
    payloadType: 'application/vnd.in-toto+json',
    n: bundleCounter,
    at: Date.now(),
    ...extra,
  };
  return new TextEncoder().encode(JSON.stringify(envelope));
}

function tokenClaims(token: string): { backend: { id: string }; role: string } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe.each(DATABASE_KINDS)('attestations on %s', (kind) => {
  let t: AttestationHarness;
  const signal = AbortSignal.timeout(600_000);

  beforeAll(async () => {
    t = await createAttestationHarness(kind);
  });

  afterAll(async () => {
    await t?.close();
  });

  async function rowOf(id: string) {
    return t.database.store.db
      .selectFrom('attestations')
      .select(['bundle', 'stored_in_cas_at', 'cas_copy_pending'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  async function orgWithDefault(): Promise<{
    principal: Principal;
    primary: Awaited<ReturnType<AttestationHarness['filesystemBackend']>>;
  }> {
    const { principal } = await t.h.newOrganization();
    const primary = await t.filesystemBackend(principal, 'primary', { isDefault: true });
    return { principal, primary };
  }

  it('pins a run to the valid default and mints upload tokens for that backend after the default moved', async () => {
    const attestations = t.attestations();
    const { principal, primary } = await orgWithDefault();
    const { run, backend } = await attestations.init(principal, { workflow: 'build', project: 'acme/api' });
    expect(backend.id).toBe(primary.id);
    expect(run).toMatchObject({ state: 'initialized', backendId: primary.id, backendIsFallback: false });

    const next = await t.filesystemBackend(principal, 'next', { isDefault: true });
    const issued = await attestations.uploadCredentials(principal, run.id);
    expect(issued.backend.id).toBe(primary.id);
    expect(tokenClaims(issued.token)).toMatchObject({ role: 'upload', backend: { id: primary.id } });
    const later = await attestations.init(principal, { workflow: 'build', project: 'acme/api' });
    expect(later.backend.id).toBe(next.id);
  });

  it('switches a default that failed validation to the fallback at the next Init, and fails clearly with neither valid', async () => {
    const attestations = t.attestations();
    const { principal, primary } = await orgWithDefault();
    const spare = await t.filesystemBackend(principal, 'spare', { isFallback: true });
    expect((await attestations.init(principal, { workflow: 'w', project: 'p' })).backend.id).toBe(primary.id);

    await t.h.breakBackendDir(primary.location);
    expect(await t.h.core.backends.revalidate(principal, { id: primary.id }, signal)).toMatchObject({
      validationStatus: 'failed',
    });
    const { run, backend } = await attestations.init(principal, { workflow: 'w', project: 'p' });
    expect(backend.id).toBe(spare.id);
    expect(run.backendIsFallback).toBe(true);
    const issued = await attestations.uploadCredentials(principal, run.id);
    expect(issued).toMatchObject({ isFallback: true, backend: { id: spare.id } });
    const stored = await attestations.store(principal, run.id, newBundle(), signal);
    expect(stored.attestation).toMatchObject({ backendId: spare.id, backendIsFallback: true });
    await attestations.copier.idle();

    await t.h.breakBackendDir(spare.location);
    await t.h.core.backends.revalidate(principal, { id: spare.id }, signal);
    const refused = attestations.init(principal, { workflow: 'w', project: 'p' });
    await expect(refused).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(
        /no valid CAS backend: default "primary" failed validation.*fallback "spare" failed validation/,
      ),
    });
  });

  it('with skipDbStorage on, sends the bundle to the CAS only and reads it back from there', async () => {
    const attestations = t.attestations({ options: { skipDbStorage: true } });
    const { principal, primary } = await orgWithDefault();
    const { run } = await attestations.init(principal, { workflow: 'release', project: 'acme/api' });
    const bytes = newBundle();
    const stored = await attestations.store(principal, run.id, bytes, signal);
    expect(stored.run).toMatchObject({ state: 'succeeded', finishedAt: expect.any(Date) });
    expect(stored.attestation).toMatchObject({
      digest: sha256Digest(bytes),
      size: bytes.byteLength,
      storedInDatabase: false,
      storedInCasAt: expect.any(Date),
      backendId: primary.id,
      backendIsFallback: false,
    });
    const row = await rowOf(stored.attestation.id);
    expect(row.bundle).toBeNull();
    expect(row.cas_copy_pending).toBe(false);
    expect(await t.casSize(primary, stored.attestation.digest)).toBe(bytes.byteLength);
    const mapped = await t.database.store.blobLocations.findBackend(
      principal.orgId,
      stored.attestation.digest,
    );
    expect(mapped?.id).toBe(primary.id);

    const first = await attestations.get(principal, { digest: stored.attestation.digest }, signal);
    expect(first.source).toBe('cas');
    expect(Buffer.from(first.bundle)).toEqual(Buffer.from(bytes));
    const second = await attestations.get(principal, { runId: run.id }, signal);
    expect(second.source).toBe('cache');
    expect(Buffer.from(second.bundle)).toEqual(Buffer.from(bytes));
  });

  it('with skipDbStorage off, keeps the bundle in the database and copies it to the CAS and the map in the background', async () => {
    const attestations = t.attestations({ options: { skipDbStorage: false } });
    const { principal, primary } = await orgWithDefault();
    const { run } = await attestations.init(principal, { workflow: 'release', project: 'acme/api' });
    const bytes = newBundle();
    const stored = await attestations.store(principal, run.id, bytes, signal);
    expect(stored.attestation).toMatchObject({ storedInDatabase: true, storedInCasAt: null });

    await attestations.copier.idle();
    const row = await rowOf(stored.attestation.id);
    expect(Buffer.from(row.bundle ?? [])).toEqual(Buffer.from(bytes));
    expect(row.stored_in_cas_at).toBeInstanceOf(Date);
    expect(row.cas_copy_pending).toBe(false);
    expect(await t.casSize(primary, stored.attestation.digest)).toBe(bytes.byteLength);
    const mapped = await t.database.store.blobLocations.findBackend(
      principal.orgId,
      stored.attestation.digest,
    );
    expect(mapped?.id).toBe(primary.id);

    const read = await attestations.get(principal, { runId: run.id }, signal);
    expect(read).toMatchObject({ source: 'database', attestation: { storedInCasAt: expect.any(Date) } });
    expect(Buffer.from(read.bundle)).toEqual(Buffer.from(bytes));
  });

  it('reads a CAS-only bundle through the digest map after the default changed and after its backend was deleted', async () => {
    const writer = t.attestations({ options: { skipDbStorage: true } });
    const { principal, primary } = await orgWithDefault();
    const { run } = await writer.init(principal, { workflow: 'w', project: 'p' });
    const bytes = newBundle();
    const { attestation } = await writer.store(principal, run.id, bytes, signal);

    await t.filesystemBackend(principal, 'newer', { isDefault: true });
    const afterMove = await t.attestations().get(principal, { digest: attestation.digest }, signal);
    expect(afterMove).toMatchObject({ source: 'cas', backend: { id: primary.id } });
    expect(Buffer.from(afterMove.bundle)).toEqual(Buffer.from(bytes));

    await t.h.core.backends.delete(principal, { id: primary.id });
    const afterDelete = await t.attestations().get(principal, { runId: run.id }, signal);
    expect(afterDelete.source).toBe('cas');
    expect(afterDelete.backend).toMatchObject({ id: primary.id, deletedAt: expect.any(Date) });
    expect(Buffer.from(afterDelete.bundle)).toEqual(Buffer.from(bytes));
  });

  it('records materials against a run once the CAS confirms them, and finds them after the default changed and a soft delete', async () => {
    const attestations = t.attestations();
    const { principal, primary } = await orgWithDefault();
    const { run } = await attestations.init(principal, { workflow: 'test', project: 'acme/api' });
    const { token } = await attestations.uploadCredentials(principal, run.id);
    const evidence = new TextEncoder().encode(`sbom ${Date.now()}`);
    const digest = await t.upload(token, evidence);

    const material = await attestations.recordMaterial(
      principal,
      run.id,
      { digest, uploadToken: token },
      signal,
    );
    expect(material).toMatchObject({
      digest,
      size: evidence.byteLength,
      backendId: primary.id,
      backendName: 'primary',
    });
    await expect(
      attestations.recordMaterial(
        principal,
        run.id,
        { digest: sha256Digest(newBundle()), uploadToken: token },
        signal,
      ),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition, details: { reason: 'blob_not_stored' } });

    await attestations.store(principal, run.id, newBundle({ materials: [digest] }), signal);
    const read = await attestations.get(principal, { runId: run.id }, signal);
    expect(read.materials).toMatchObject([{ digest, size: evidence.byteLength, backendName: 'primary' }]);

    await t.filesystemBackend(principal, 'newer', { isDefault: true });
    await t.h.core.backends.delete(principal, { id: primary.id });
    const download = await t.h.core.credentials.issue(principal, 'download', digest);
    expect(download.backend).toMatchObject({ id: primary.id, deletedAt: expect.any(Date) });
    expect(await t.casSize(download.backend, digest)).toBe(evidence.byteLength);
    await expect(
      attestations.init(principal, { workflow: 'test', project: 'acme/api' }),
    ).resolves.toMatchObject({
      backend: { name: 'newer' },
    });
  });

  it('keeps the bundle of an inline run in the database even with skipDbStorage on', async () => {
    const attestations = t.attestations({ options: { skipDbStorage: true } });
    const { principal } = await t.h.newOrganization();
    const { run, backend } = await attestations.init(principal, { workflow: 'w', project: 'p' });
    expect(backend.provider).toBe('inline');
    await expect(attestations.uploadCredentials(principal, run.id)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      details: { reason: 'inline_backend' },
    });
    const tooBig = newBundle({ pad: 'x'.repeat(backend.maxBytes) });
    await expect(attestations.store(principal, run.id, tooBig, signal)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      details: { reason: 'bundle_too_large' },
    });
    const bytes = newBundle();
    const { attestation } = await attestations.store(principal, run.id, bytes, signal);
    expect(attestation).toMatchObject({ storedInDatabase: true, storedInCasAt: null, backendId: backend.id });
    expect((await rowOf(attestation.id)).cas_copy_pending).toBe(false);
    expect(attestations.copier.pending).toBe(0);
    expect((await t.database.store.blobLocations.findBackend(principal.orgId, attestation.digest))?.id).toBe(
      backend.id,
    );
    expect((await attestations.get(principal, { digest: attestation.digest }, signal)).source).toBe(
      'database',
    );
  });

  it('checks bundles, answers a repeated Store with the stored attestation and refuses another bundle for a finished run', async () => {
    const attestations = t.attestations();
    const { principal } = await orgWithDefault();
    const { run } = await attestations.init(principal, { workflow: 'w', project: 'p' });
    const text = (value: string) => new TextEncoder().encode(value);
    for (const bad of [
      new Uint8Array(0),
      text('not json'),
      text('[1, 2]'),
      new Uint8Array([0xff, 0x7b, 0x7d]),
    ]) {
      await expect(attestations.store(principal, run.id, bad, signal)).rejects.toMatchObject({
        code: Code.InvalidArgument,
      });
    }
    const small = t.attestations({ options: { maxBundleBytes: 64 } });
    await expect(
      small.store(principal, run.id, newBundle({ pad: 'x'.repeat(64) }), signal),
    ).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining('more than the 64 allowed'),
    });

    const bytes = newBundle();
    const first = await attestations.store(principal, run.id, bytes, signal);
    const again = await attestations.store(principal, run.id, bytes, signal);
    expect(again.attestation.id).toBe(first.attestation.id);
    await expect(attestations.store(principal, run.id, newBundle(), signal)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      details: { reason: 'run_finished' },
    });
    await expect(attestations.uploadCredentials(principal, run.id)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
    const other = await attestations.init(principal, { workflow: 'w', project: 'p' });
    await expect(attestations.store(principal, other.run.id, bytes, signal)).rejects.toMatchObject({
      code: Code.AlreadyExists,
    });
    for (const workflow of ['', 'x'.repeat(129), 'tab\there']) {
      await expect(attestations.init(principal, { workflow, project: 'p' })).rejects.toMatchObject({
        code: Code.InvalidArgument,
      });
    }
    await attestations.copier.idle();
  });

  it("refuses every call on another organisation's runs and attestations", async () => {
    const attestations = t.attestations();
    const { principal } = await orgWithDefault();
    const { run } = await attestations.init(principal, { workflow: 'w', project: 'p' });
    const { token } = await attestations.uploadCredentials(principal, run.id);
    const { attestation } = await attestations.store(principal, run.id, newBundle(), signal);
    const { principal: intruder } = await orgWithDefault();
    const intruderRun = await attestations.init(intruder, { workflow: 'w', project: 'p' });

    const notFound = { code: Code.NotFound };
    await expect(attestations.get(intruder, { digest: attestation.digest }, signal)).rejects.toMatchObject(
      notFound,
    );
    await expect(attestations.get(intruder, { runId: run.id }, signal)).rejects.toMatchObject(notFound);
    await expect(attestations.uploadCredentials(intruder, run.id)).rejects.toMatchObject(notFound);
    await expect(attestations.store(intruder, run.id, newBundle(), signal)).rejects.toMatchObject(notFound);
    await expect(
      attestations.recordMaterial(
        intruder,
        run.id,
        { digest: attestation.digest, uploadToken: token },
        signal,
      ),
    ).rejects.toMatchObject(notFound);
    // Its own run with the other organisation's upload token: the token is refused.
    await expect(
      attestations.recordMaterial(
        intruder,
        intruderRun.run.id,
        { digest: attestation.digest, uploadToken: token },
        signal,
      ),
    ).rejects.toMatchObject({ code: Code.PermissionDenied });
    await expect(attestations.get(intruder, { runId: 'not-a-uuid' }, signal)).rejects.toMatchObject(notFound);
    await expect(attestations.get(intruder, { digest: 'sha256:nope' }, signal)).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    await attestations.copier.idle();
  });

  it('retries a synchronous CAS upload while the CAS is unreachable, and gives up at the deadline leaving the run open', async () => {
    const dead = await deadAddress();
    const { grpcCasBlobTransfer } = await import('../server/cas-blob-transfer.js');
    let calls = 0;
    const flaky = grpcCasBlobTransfer(() => (++calls <= 2 ? dead : t.cas.grpcAddress));
    const retrying = t.attestations({
      options: { skipDbStorage: true },
      transfer: flaky,
      retry: { attempts: 5, initialDelayMs: 20, maxDelayMs: 50 },
    });
    const { principal } = await orgWithDefault();
    const { run } = await retrying.init(principal, { workflow: 'w', project: 'p' });
    const stored = await retrying.store(principal, run.id, newBundle(), signal);
    expect(calls).toBe(3);
    expect(stored.attestation.storedInCasAt).toBeInstanceOf(Date);

    const down = t.attestations({
      options: { skipDbStorage: true, casTimeoutMs: 300 },
      transfer: grpcCasBlobTransfer(() => dead),
      retry: { attempts: 1_000, initialDelayMs: 20, maxDelayMs: 50 },
    });
    const open = await down.init(principal, { workflow: 'w', project: 'p' });
    const bytes = newBundle();
    await expect(down.store(principal, open.run.id, bytes, signal)).rejects.toMatchObject({
      code: Code.DeadlineExceeded,
      message: expect.stringContaining('within 300 ms'),
    });
    const few = t.attestations({
      options: { skipDbStorage: true },
      transfer: grpcCasBlobTransfer(() => dead),
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
    });
    await expect(few.store(principal, open.run.id, bytes, signal)).rejects.toMatchObject({
      code: Code.Unavailable,
      message: expect.stringContaining('attempt 2'),
    });
    expect(await t.database.store.workflowRuns.find(principal.orgId, open.run.id)).toMatchObject({
      state: 'initialized',
    });
    const retried = await t
      .attestations({ options: { skipDbStorage: true } })
      .store(principal, open.run.id, bytes, signal);
    expect(retried.attestation.storedInCasAt).toBeInstanceOf(Date);
  });

  it('leaves a failed background copy flagged in the database, and the sweep of a later start completes it', async () => {
    const { grpcCasBlobTransfer } = await import('../server/cas-blob-transfer.js');
    const failing = t.attestations({
      transfer: grpcCasBlobTransfer(await deadAddressFn()),
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
    });
    const { principal, primary } = await orgWithDefault();
    const { run } = await failing.init(principal, { workflow: 'w', project: 'p' });
    const bytes = newBundle();
    const { attestation } = await failing.store(principal, run.id, bytes, signal);
    await failing.copier.idle();
    expect(await rowOf(attestation.id)).toMatchObject({ stored_in_cas_at: null, cas_copy_pending: true });
    expect(t.h.logs.join('')).toContain('attestation bundle copy to the CAS failed');
    await failing.copier.stop();

    const restarted = t.attestations();
    expect(await restarted.copier.sweep()).toBeGreaterThanOrEqual(1);
    expect(await rowOf(attestation.id)).toMatchObject({
      stored_in_cas_at: expect.any(Date),
      cas_copy_pending: false,
    });
    expect(await t.casSize(primary, attestation.digest)).toBe(bytes.byteLength);
    const pending = await sql<{
      n: string | number;
    }>`select count(*) as n from attestations where cas_copy_pending`.execute(t.database.store.db);
    expect(Number(pending.rows[0]?.n)).toBe(0);
  });

  async function deadAddressFn(): Promise<() => string> {
    const address = await deadAddress();
    return () => address;
  }
});
