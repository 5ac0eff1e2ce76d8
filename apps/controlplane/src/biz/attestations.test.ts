import { randomUUID } from 'node:crypto';
import { Code } from '@cairn/errors';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttestationHarness,
  createAttestationHarness,
  deadAddress,
} from '../testing/attestation-harness.js';
import { DATABASE_KINDS } from '../testing/databases.js';
import { editBundle, pushBundle, readyRun, withStatement } from '../testing/statements.js';
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

function casMaterial(name: string, digest: string, uploadToken: string) {
  return {
    name,
    kind: 'SBOM_CYCLONEDX_JSON',
    annotations: {},
    fileName: '',
    source: { cas: { digest, uploadToken } },
  };
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
    const { run, backend } = await readyRun(attestations, principal, { workflow: 'w', project: 'p' });
    expect(backend.id).toBe(spare.id);
    expect(run.backendIsFallback).toBe(true);
    const issued = await attestations.uploadCredentials(principal, run.id);
    expect(issued).toMatchObject({ isFallback: true, backend: { id: spare.id } });
    const bundle = await pushBundle(attestations, principal, run.id);
    const stored = await attestations.store(principal, run.id, bundle, signal);
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
    const { run } = await readyRun(attestations, principal, { workflow: 'release' });
    const bytes = await pushBundle(attestations, principal, run.id);
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
    const { run } = await readyRun(attestations, principal, { workflow: 'release' });
    const bytes = await pushBundle(attestations, principal, run.id);
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
    const { run } = await readyRun(writer, principal);
    const bytes = await pushBundle(writer, principal, run.id);
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

    const material = await attestations.addMaterial(
      principal,
      run.id,
      casMaterial('sbom', digest, token),
      signal,
    );
    expect(material).toMatchObject({
      digest,
      size: evidence.byteLength,
      location: { backend: { id: primary.id, name: 'primary' } },
    });
    await expect(
      attestations.addMaterial(
        principal,
        run.id,
        casMaterial('other', sha256Digest(new TextEncoder().encode('never uploaded')), token),
        signal,
      ),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition, details: { reason: 'blob_not_stored' } });

    await attestations.store(principal, run.id, await pushBundle(attestations, principal, run.id), signal);
    const read = await attestations.get(principal, { runId: run.id }, signal);
    expect(read.materials).toMatchObject([
      { name: 'sbom', digest, size: evidence.byteLength, location: { backend: { name: 'primary' } } },
    ]);

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
    const { run, backend } = await readyRun(attestations, principal);
    expect(backend.provider).toBe('inline');
    await expect(attestations.uploadCredentials(principal, run.id)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: `run ${run.id} stores its evidence inline (backend "inline"): embed the evidence in the bundle, or add a CAS backend as the default (\`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default\`) before the next run`,
      details: { reason: 'inline_backend' },
    });
    const download = t.h.core.credentials.issue(principal, 'download', sha256Digest(newBundle()));
    await expect(download).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(/; upload it with `cairn artifact upload` first$/),
      details: { reason: 'inline_backend' },
    });
    // The inline backend's max bytes caps each material; the bundle, which carries them all, has the
    // configured cap.
    const tooBig = newBundle({ pad: 'x'.repeat(attestations.options.maxBundleBytes) });
    await expect(attestations.store(principal, run.id, tooBig, signal)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      details: { reason: 'bundle_too_large' },
    });
    const bytes = await pushBundle(attestations, principal, run.id);
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

  it('stores a run once: the same bundle again gets the stored attestation, another bundle is refused naming it', async () => {
    const attestations = t.attestations();
    const { principal } = await orgWithDefault();
    const { run } = await readyRun(attestations, principal);
    const text = (value: string) => new TextEncoder().encode(value);
    for (const bad of [
      new Uint8Array(0),
      text('not json'),
      text('[1, 2]'),
      new Uint8Array([0xff, 0x7b, 0x7d]),
    ]) {
      await expect(attestations.store(principal, run.id, bad, signal)).rejects.toMatchObject({
        code: Code.InvalidArgument,
        details: { reason: 'bundle_not_json' },
      });
    }
    const small = t.attestations({ options: { maxBundleBytes: 64 } });
    await expect(
      small.store(principal, run.id, newBundle({ pad: 'x'.repeat(64) }), signal),
    ).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining('more than the 64 allowed'),
      details: { reason: 'bundle_too_large', limit: '64' },
    });

    // A push retried after its answer was lost (or sent twice at once) gets the one attestation.
    const bytes = await pushBundle(attestations, principal, run.id);
    const [first, twin] = await Promise.all([
      attestations.store(principal, run.id, bytes, signal),
      attestations.store(principal, run.id, bytes, signal),
    ]);
    const again = await attestations.store(principal, run.id, bytes, signal);
    expect(new Set([first.attestation.id, twin.attestation.id, again.attestation.id]).size).toBe(1);
    expect(again.run).toMatchObject({ state: 'succeeded' });
    const rows = await t.database.store.db
      .selectFrom('attestations')
      .select('id')
      .where('run_id', '=', run.id)
      .execute();
    expect(rows).toHaveLength(1);

    // The same statement signed again is another bundle: refused, naming the stored one.
    const resigned = await pushBundle(attestations, principal, run.id);
    await expect(attestations.store(principal, run.id, resigned, signal)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: `run ${run.id} was pushed at ${first.run.finishedAt?.toISOString()} as ${first.attestation.digest}; start a new one with \`cairn attestation init\``,
      details: { reason: 'run_finished', state: 'succeeded', digest: first.attestation.digest },
    });
    await expect(attestations.uploadCredentials(principal, run.id)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
    // Another run's bundle names that run.
    const other = await readyRun(attestations, principal);
    await expect(attestations.store(principal, other.run.id, bytes, signal)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: `the bundle attests run "${run.id}", not run ${other.run.id}; push each run's own attestation (\`cairn attestation push\` builds it for the run in its state)`,
      details: { reason: 'wrong_run' },
    });
    for (const workflow of ['', 'x'.repeat(129), 'tab\there']) {
      await expect(attestations.init(principal, { workflow, project: 'p' })).rejects.toMatchObject({
        code: Code.InvalidArgument,
      });
    }
    await attestations.copier.idle();
  });

  it("stores only what `cairn attestation push` makes: a v0.3 DSSE bundle of Cairn's statement listing every recorded material", async () => {
    const attestations = t.attestations();
    const { principal, primary } = await orgWithDefault();
    const { run } = await readyRun(attestations, principal);
    const { token } = await attestations.uploadCredentials(principal, run.id);
    const evidence = new TextEncoder().encode(`report ${Date.now()}`);
    const digest = await t.upload(token, evidence);
    await attestations.addMaterial(principal, run.id, casMaterial('report', digest, token), signal);
    const good = await pushBundle(attestations, principal, run.id);
    const statement = JSON.parse(
      Buffer.from(JSON.parse(new TextDecoder().decode(good)).dsseEnvelope.payload, 'base64').toString('utf8'),
    );
    const refusals: Array<[Uint8Array, string, RegExp]> = [
      [
        newBundle(),
        'not_a_bundle',
        /its mediaType is missing, not application\/vnd\.dev\.sigstore\.bundle\.v0\.3\+json/,
      ],
      [
        editBundle(good, (json) => {
          json.dsseEnvelope.payloadType = 'text/plain';
        }),
        'not_a_bundle',
        /payloadType is "text\/plain"/,
      ],
      [
        editBundle(good, (json) => {
          json.dsseEnvelope.signatures = [];
        }),
        'not_a_bundle',
        /no signature/,
      ],
      [
        editBundle(good, (json) => {
          json.verificationMaterial = {};
        }),
        'not_a_bundle',
        /no publicKey hint/,
      ],
      [
        editBundle(good, (json) => {
          json.dsseEnvelope.payload = 'not base64!';
        }),
        'not_a_bundle',
        /not standard base64/,
      ],
      [
        withStatement(good, { ...statement, predicateType: 'https://slsa.dev/provenance/v1' }),
        'not_a_statement',
        /predicateType is "https:\/\/slsa\.dev\/provenance\/v1"/,
      ],
      [withStatement(good, { ...statement, _type: 'x' }), 'not_a_statement', /_type is "x"/],
      [
        withStatement(good, { ...statement, predicate: { ...statement.predicate, materials: [] } }),
        'not_a_statement',
        /no material/,
      ],
      [
        withStatement(good, { ...statement, predicate: { ...statement.predicate, run: 7 } }),
        'not_a_statement',
        /a run and materials/,
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          run: { ...input.run, id: randomUUID() },
        })),
        'wrong_run',
        /^the bundle attests run/,
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          run: { ...input.run, workflow: 'deploy' },
        })),
        'statement_mismatch',
        /names workflow "deploy", but run .* is of "build"/,
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          run: { ...input.run, fallback: true },
        })),
        'statement_mismatch',
        /on the fallback backend/,
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          materials: input.materials.filter((m) => m.name !== 'report'),
        })),
        'material_mismatch',
        new RegExp(
          `^the bundle's statement lacks material "report" \\(${digest}\\), recorded on run ${run.id}; \`cairn attestation status\` shows what the run recorded, and \`cairn attestation push\` builds the statement from it$`,
        ),
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          materials: input.materials.map((m) =>
            m.name === 'report' ? { ...m, digest: `sha256:${'e'.repeat(64)}` } : m,
          ),
        })),
        'material_mismatch',
        /lists material "report" with digest "sha256:eeee/,
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          materials: input.materials.map((m) => (m.name === 'report' ? { ...m, size: m.size + 1 } : m)),
        })),
        'material_mismatch',
        /lists material "report" with \d+ bytes/,
      ],
      [
        await pushBundle(attestations, principal, run.id, (input) => ({
          ...input,
          materials: input.materials.map((m) =>
            m.name === 'report'
              ? { ...m, location: { backend: { id: randomUUID(), name: 'x', provider: 'oci' } } }
              : m,
          ),
        })),
        'material_mismatch',
        /does not place material "report" on backend "primary"/,
      ],
    ];
    for (const [bundle, reason, message] of refusals) {
      await expect(attestations.store(principal, run.id, bundle, signal)).rejects.toMatchObject({
        code: Code.InvalidArgument,
        message: expect.stringMatching(message),
        details: { reason },
      });
    }
    // A material added after the statement was built must be in it too.
    const stale = good;
    await attestations.addMaterial(
      principal,
      run.id,
      {
        name: 'late',
        kind: 'STRING',
        annotations: {},
        fileName: '',
        source: { inline: { content: new TextEncoder().encode('x') } },
      },
      signal,
    );
    await expect(attestations.store(principal, run.id, stale, signal)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      details: { reason: 'material_mismatch', name: 'late' },
    });
    expect((await attestations.getRun(principal, run.id)).run.state).toBe('initialized');
    const stored = await attestations.store(
      principal,
      run.id,
      await pushBundle(attestations, principal, run.id),
      signal,
    );
    expect(stored.attestation.backendId).toBe(primary.id);
    await attestations.copier.idle();
  });

  it('checks the statement again once the run is locked: a material added while the bundle went to the CAS must be in it', async () => {
    const { principal } = await orgWithDefault();
    let adding: Promise<unknown> | undefined;
    let runId = '';
    const late = {
      name: 'late',
      kind: 'STRING',
      annotations: {},
      fileName: '',
      source: { inline: { content: new TextEncoder().encode('x') } },
    };
    // skipDbStorage sends the bundle to the CAS between the first check and the transaction.
    const slow = t.attestations({
      options: { skipDbStorage: true },
      transfer: {
        upload: async (blob, token, uploadSignal) => {
          adding ??= slow.addMaterial(principal, runId, late, signal);
          await adding;
          return t.transfer.upload(blob, token, uploadSignal);
        },
        download: (blob, token, downloadSignal) => t.transfer.download(blob, token, downloadSignal),
      },
    });
    const { run } = await readyRun(slow, principal);
    runId = run.id;
    const bundle = await pushBundle(slow, principal, run.id);
    await expect(slow.store(principal, run.id, bundle, signal)).rejects.toMatchObject({
      code: Code.InvalidArgument,
      details: { reason: 'material_mismatch', name: 'late' },
    });
    expect((await slow.getRun(principal, run.id)).run.state).toBe('initialized');
  });

  it("refuses every call on another organisation's runs and attestations", async () => {
    const attestations = t.attestations();
    const { principal } = await orgWithDefault();
    const { run } = await readyRun(attestations, principal);
    const { token } = await attestations.uploadCredentials(principal, run.id);
    const { attestation } = await attestations.store(
      principal,
      run.id,
      await pushBundle(attestations, principal, run.id),
      signal,
    );
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
      attestations.addMaterial(intruder, run.id, casMaterial('m', attestation.digest, token), signal),
    ).rejects.toMatchObject(notFound);
    // Its own run with the other organisation's upload token: the token is refused.
    await expect(
      attestations.addMaterial(
        intruder,
        intruderRun.run.id,
        casMaterial('m', attestation.digest, token),
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
    const { grpcCasBlobTransfer } = await import('../data/index.js');
    let calls = 0;
    const flaky = grpcCasBlobTransfer(() => (++calls <= 2 ? dead : t.cas.grpcAddress));
    const retrying = t.attestations({
      options: { skipDbStorage: true },
      transfer: flaky,
      retry: { attempts: 5, initialDelayMs: 20, maxDelayMs: 50 },
    });
    const { principal } = await orgWithDefault();
    const { run } = await readyRun(retrying, principal);
    const stored = await retrying.store(
      principal,
      run.id,
      await pushBundle(retrying, principal, run.id),
      signal,
    );
    expect(calls).toBe(3);
    expect(stored.attestation.storedInCasAt).toBeInstanceOf(Date);

    const down = t.attestations({
      options: { skipDbStorage: true, casTimeoutMs: 300 },
      transfer: grpcCasBlobTransfer(() => dead),
      retry: { attempts: 1_000, initialDelayMs: 20, maxDelayMs: 50 },
    });
    const open = await readyRun(down, principal);
    const bytes = await pushBundle(down, principal, open.run.id);
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
    const { grpcCasBlobTransfer } = await import('../data/index.js');
    const failing = t.attestations({
      transfer: grpcCasBlobTransfer(await deadAddressFn()),
      retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
    });
    const { principal, primary } = await orgWithDefault();
    const { run } = await readyRun(failing, principal);
    const bytes = await pushBundle(failing, principal, run.id);
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
