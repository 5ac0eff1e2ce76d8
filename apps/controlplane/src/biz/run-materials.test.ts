import { createHash, randomBytes } from 'node:crypto';
import { Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttestationHarness, createAttestationHarness } from '../testing/attestation-harness.js';
import { DATABASE_KINDS } from '../testing/databases.js';
import { signedBundle, statementOf, testSigningKey } from '../testing/statements.js';
import type { Attestations } from './attestations.js';
import type { Principal } from './principal.js';
import { type AddMaterialInput, STRING_MAX_BYTES, statementBudgetOf } from './run-materials.js';

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const CYCLONE_DX = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] });
const IMAGE_DIGEST = `sha256:${'b'.repeat(64)}`;

function material(
  name: string,
  kind: string,
  source: AddMaterialInput['source'],
  extra: Partial<AddMaterialInput> = {},
): AddMaterialInput {
  return { name, kind, annotations: {}, fileName: '', source, ...extra };
}

const inline = (content: Uint8Array | string) => ({
  inline: { content: typeof content === 'string' ? new TextEncoder().encode(content) : content },
});

describe.each(DATABASE_KINDS)('materials of a run on %s', (kind) => {
  let t: AttestationHarness;
  let attestations: Attestations;
  const signal = AbortSignal.timeout(600_000);

  beforeAll(async () => {
    t = await createAttestationHarness(kind);
    attestations = t.attestations();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function casRun() {
    const { principal } = await t.h.newOrganization();
    const primary = await t.filesystemBackend(principal, 'primary', { isDefault: true });
    const { run } = await attestations.init(principal, {
      workflow: 'build',
      project: 'acme/api',
      runner: { type: 'github-actions', url: 'https://github.com/acme/api/actions/runs/42' },
    });
    return { principal, primary, run };
  }

  async function inlineRun(using = attestations) {
    const { principal } = await t.h.newOrganization();
    const { run, backend } = await using.init(principal, { workflow: 'build', project: '' });
    expect(backend.provider).toBe('inline');
    return { principal, run, backend };
  }

  async function uploaded(principal: Principal, runId: string, bytes: Uint8Array) {
    const { token } = await attestations.uploadCredentials(principal, runId);
    return { digest: await t.upload(token, bytes), uploadToken: token };
  }

  it('records an upload the CAS confirms on the run backend, with its name, kind, file name and annotations', async () => {
    const { principal, primary, run } = await casRun();
    const bytes = randomBytes(4096);
    const cas = await uploaded(principal, run.id, bytes);
    const added = await attestations.addMaterial(
      principal,
      run.id,
      material('binary', 'ARTIFACT', { cas }, { fileName: 'api-linux-amd64', annotations: { os: 'linux' } }),
      signal,
    );
    expect(added).toMatchObject({
      name: 'binary',
      kind: 'ARTIFACT',
      digest: sha256(bytes),
      size: 4096,
      fileName: 'api-linux-amd64',
      annotations: { os: 'linux' },
      location: { backend: { id: primary.id, name: 'primary', provider: 'filesystem' } },
    });
    expect((await t.database.store.blobLocations.findBackend(principal.orgId, cas.digest))?.id).toBe(
      primary.id,
    );

    // A digest the CAS does not hold is refused, whatever the client says.
    const missing = { digest: sha256(randomBytes(16)), uploadToken: cas.uploadToken };
    await expect(
      attestations.addMaterial(principal, run.id, material('ghost', 'ARTIFACT', { cas: missing }), signal),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition, details: { reason: 'blob_not_stored' } });
  });

  it('refuses a second material of the same name, naming it and saying to pick another --name', async () => {
    const { principal, run } = await casRun();
    await attestations.addMaterial(principal, run.id, material('tag', 'STRING', inline('v1')), signal);
    const clash = attestations.addMaterial(
      principal,
      run.id,
      material('tag', 'STRING', inline('v2')),
      signal,
    );
    await expect(clash).rejects.toMatchObject({
      code: Code.AlreadyExists,
      message: `run ${run.id} has a material named "tag" already; pick another name (\`cairn attestation add --name OTHER ...\`)`,
      details: { reason: 'material_name_taken', name: 'tag' },
    });
    // Two at once: the unique index lets exactly one in.
    const racing = await Promise.allSettled(
      ['a', 'b'].map((value) =>
        attestations.addMaterial(principal, run.id, material('race', 'STRING', inline(value)), signal),
      ),
    );
    expect(racing.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(racing.find((outcome) => outcome.status === 'rejected')).toMatchObject({
      reason: { code: Code.AlreadyExists },
    });
    const { materials } = await attestations.getRun(principal, run.id);
    expect(materials.map((entry) => entry.name)).toEqual(['tag', 'race']);
  });

  it('refuses an upload made with a token for another backend than the run', async () => {
    const { principal, run } = await casRun();
    const other = await t.filesystemBackend(principal, 'other');
    const { token } = await t.h.core.credentials.issueFor(principal, 'upload', {
      backend: other,
      isFallback: false,
    });
    const digest = await t.upload(token, randomBytes(64));
    await expect(
      attestations.addMaterial(
        principal,
        run.id,
        material('elsewhere', 'ARTIFACT', { cas: { digest, uploadToken: token } }),
        signal,
      ),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('was uploaded to backend "other", but run'),
      details: { reason: 'wrong_backend' },
    });
  });

  it('keeps STRING materials inline on a CAS backend up to 64 KiB, computing their digest, and refuses other kinds inline there', async () => {
    const { principal, run } = await casRun();
    const text = 'é'.repeat(STRING_MAX_BYTES / 2);
    const added = await attestations.addMaterial(
      principal,
      run.id,
      material('big', 'STRING', inline(text)),
      signal,
    );
    expect(added).toMatchObject({ digest: sha256(text), size: STRING_MAX_BYTES });
    expect(Buffer.from('inline' in added.location ? added.location.inline : [])).toEqual(Buffer.from(text));

    const over = attestations.addMaterial(
      principal,
      run.id,
      material('bigger', 'STRING', inline(`${text}x`)),
      signal,
    );
    await expect(over).rejects.toMatchObject({
      code: Code.ResourceExhausted,
      message: expect.stringMatching(
        /^material "bigger" is a STRING of 65537 bytes, more than the 65536 a STRING may have; .*`cairn attestation add /,
      ),
      details: { reason: 'material_too_large', size: '65537', limit: '65536' },
    });
    await expect(
      attestations.addMaterial(
        principal,
        run.id,
        material('sbom', 'SBOM_CYCLONEDX_JSON', inline(CYCLONE_DX)),
        signal,
      ),
    ).rejects.toMatchObject({ code: Code.FailedPrecondition, details: { reason: 'inline_not_allowed' } });
    await expect(
      attestations.addMaterial(
        principal,
        run.id,
        material('latin1', 'STRING', inline(new Uint8Array([0xe9]))),
        signal,
      ),
    ).rejects.toMatchObject({ code: Code.InvalidArgument, message: expect.stringContaining('not UTF-8') });
  });

  it('embeds any kind on the inline backend up to its max bytes, checks the format, and keeps the run under the bundle cap', async () => {
    const { principal, run, backend } = await inlineRun();
    const sbom = await attestations.addMaterial(
      principal,
      run.id,
      material('sbom', 'SBOM_CYCLONEDX_JSON', inline(CYCLONE_DX), { fileName: 'bom.cdx.json' }),
      signal,
    );
    expect(sbom).toMatchObject({ digest: sha256(CYCLONE_DX), size: Buffer.byteLength(CYCLONE_DX) });
    await expect(
      attestations.addMaterial(
        principal,
        run.id,
        material('bad', 'SBOM_CYCLONEDX_JSON', inline('{"a":1}')),
        signal,
      ),
    ).rejects.toMatchObject({ code: Code.InvalidArgument, details: { reason: 'invalid_material' } });

    const atCap = randomBytes(backend.maxBytes);
    await attestations.addMaterial(principal, run.id, material('one', 'ARTIFACT', inline(atCap)), signal);
    const overCap = attestations.addMaterial(
      principal,
      run.id,
      material('huge', 'ARTIFACT', inline(randomBytes(backend.maxBytes + 1))),
      signal,
    );
    await expect(overCap).rejects.toMatchObject({
      code: Code.ResourceExhausted,
      message: `material "huge" has ${backend.maxBytes + 1} bytes, more than the ${backend.maxBytes} the inline backend "inline" embeds in an attestation; add a CAS backend as the default (\`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default\`) and start a new run with \`cairn attestation init\``,
      details: {
        reason: 'material_too_large',
        size: String(backend.maxBytes + 1),
        limit: String(backend.maxBytes),
      },
    });
    await attestations.addMaterial(
      principal,
      run.id,
      material('two', 'ARTIFACT', inline(randomBytes(backend.maxBytes))),
      signal,
    );
    // A third would make the bundle larger than attestations.maxBundleBytes.
    const third = attestations.addMaterial(
      principal,
      run.id,
      material('three', 'ARTIFACT', inline(randomBytes(backend.maxBytes))),
      signal,
    );
    await expect(third).rejects.toMatchObject({
      code: Code.ResourceExhausted,
      message: expect.stringMatching(
        /^material "three" would take \d+ bytes of run .*'s attestation, whose materials take \d+ of the \d+ they may \(a bundle is at most 2097152 bytes\); add a CAS backend as the default \(`cairn cas-backend add <oci\|aws-s3\|azure-blob\|filesystem> ... --default`\)/,
      ),
      details: { reason: 'attestation_full' },
    });

    // What the control plane let in signs into a bundle under the cap, and its accounting covers the statement.
    const details = await attestations.getRun(principal, run.id);
    const statement = statementOf(details);
    const bundle = await signedBundle(statement, await testSigningKey());
    expect(bundle.byteLength).toBeLessThanOrEqual(attestations.options.maxBundleBytes);
    const used = await t.database.store.runMaterials.statementBytes(principal.orgId, run.id);
    expect(used).toBeLessThanOrEqual(statementBudgetOf(attestations.options.maxBundleBytes));
    const listed =
      Buffer.byteLength(JSON.stringify(statement.predicate.materials)) +
      Buffer.byteLength(JSON.stringify(statement.subject));
    expect(used).toBeGreaterThanOrEqual(listed);
    const stored = await attestations.store(principal, run.id, bundle, signal);
    expect(stored.attestation.size).toBe(bundle.byteLength);
  });

  it('refuses CAS uploads on an inline run, saying to send the content inline or add a CAS backend', async () => {
    const { principal, run } = await inlineRun();
    const cas = { digest: sha256('x'), uploadToken: 'eyJ.x.y' };
    await expect(
      attestations.addMaterial(principal, run.id, material('file', 'ARTIFACT', { cas }), signal),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('must be sent inline (at most 512000 bytes)'),
      details: { reason: 'inline_backend' },
    });
  });

  it('records a container image by its normalised reference pinned to the resolved digest, and only as CONTAINER_IMAGE', async () => {
    const { principal, run } = await inlineRun();
    const image = { reference: 'alpine:3.20', digest: IMAGE_DIGEST, size: 1234 };
    const added = await attestations.addMaterial(
      principal,
      run.id,
      material('base', 'CONTAINER_IMAGE', { image }),
      signal,
    );
    expect(added).toMatchObject({
      digest: IMAGE_DIGEST,
      size: 1234,
      location: { image: `docker.io/library/alpine:3.20@${IMAGE_DIGEST}` },
    });
    const refusals: Array<[AddMaterialInput, string]> = [
      [material('a', 'ARTIFACT', { image }), 'wrong_source'],
      [material('b', 'CONTAINER_IMAGE', inline('alpine')), 'wrong_source'],
      [
        material('c', 'CONTAINER_IMAGE', {
          image: { ...image, reference: `alpine@sha256:${'c'.repeat(64)}` },
        }),
        'invalid_material',
      ],
      [material('d', 'CONTAINER_IMAGE', { image: { ...image, digest: 'sha256:short' } }), 'invalid_material'],
      [
        material('e', 'CONTAINER_IMAGE', { image: { ...image, reference: 'Not A Ref' } }),
        'invalid_image_reference',
      ],
      [material('f', 'CONTAINER_IMAGE', { image: { ...image, size: 0 } }), 'invalid_material'],
      [material('g', '', inline('x')), 'invalid_material'],
      [material('h', 'STRING', undefined), 'invalid_material'],
      [material(' ', 'STRING', inline('x')), 'invalid_name'],
      [material('i', 'STRING', inline('x'), { annotations: { 'bad\nkey': 'v' } }), 'invalid_annotation'],
      [material('j', 'STRING', inline('x'), { fileName: 'a\u0000b' }), 'invalid_material'],
    ];
    for (const [input, reason] of refusals) {
      await expect(attestations.addMaterial(principal, run.id, input, signal)).rejects.toMatchObject({
        code: Code.InvalidArgument,
        details: { reason },
      });
    }
  });

  it('returns the run and its materials in the order added with everything the statement needs', async () => {
    const { principal, primary, run } = await casRun();
    const bytes = randomBytes(100);
    const cas = await uploaded(principal, run.id, bytes);
    await attestations.addMaterial(
      principal,
      run.id,
      material('z-binary', 'ARTIFACT', { cas }, { fileName: 'api' }),
      signal,
    );
    await attestations.addMaterial(
      principal,
      run.id,
      material('a-image', 'CONTAINER_IMAGE', {
        image: { reference: 'ghcr.io/acme/api:1', digest: IMAGE_DIGEST, size: 9 },
      }),
      signal,
    );
    await attestations.addMaterial(
      principal,
      run.id,
      material('m-tag', 'STRING', inline('v1.2.0'), { annotations: { b: '2', a: '1' } }),
      signal,
    );
    const details = await attestations.getRun(principal, run.id);
    expect(details.run).toMatchObject({
      id: run.id,
      workflow: 'build',
      project: 'acme/api',
      state: 'initialized',
      runnerType: 'github-actions',
      runnerUrl: 'https://github.com/acme/api/actions/runs/42',
      finishedAt: null,
      resetReason: null,
      backendIsFallback: false,
    });
    expect(details.run.expiresAt.getTime() - details.run.createdAt.getTime()).toBe(24 * 3600_000);
    expect(details.backend.id).toBe(primary.id);
    expect(details.attestationDigest).toBeNull();
    expect(details.materials.map((entry) => [entry.name, entry.kind])).toEqual([
      ['z-binary', 'ARTIFACT'],
      ['a-image', 'CONTAINER_IMAGE'],
      ['m-tag', 'STRING'],
    ]);
    expect(details.materials[0]).toMatchObject({
      fileName: 'api',
      size: 100,
      location: { backend: { id: primary.id } },
    });
    expect(Object.keys(details.materials[2]?.annotations ?? {})).toEqual(['a', 'b']);

    // Everything a later step needs to build the statement comes back: it builds, and names every material.
    const statement = statementOf(details);
    expect(statement.predicate.run).toMatchObject({ id: run.id, runner: { type: 'github-actions' } });
    expect(statement.subject.map((subject) => subject.name)).toEqual(['api', 'ghcr.io/acme/api']);

    await expect(
      attestations.getRun(principal, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toMatchObject({
      code: Code.NotFound,
    });
    const { principal: intruder } = await t.h.newOrganization();
    await expect(attestations.getRun(intruder, run.id)).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('keeps the runner the CLI sent at init, and refuses one Cairn does not know', async () => {
    const { principal } = await t.h.newOrganization();
    const none = await attestations.init(principal, { workflow: 'w', project: '' });
    expect(none.run).toMatchObject({ runnerType: null, runnerUrl: null, project: '' });
    for (const runner of [
      { type: 'teamcity', url: '' },
      { type: 'local', url: 'ftp://example.com' },
      { type: '', url: 'https://example.com' },
    ]) {
      await expect(
        attestations.init(principal, { workflow: 'w', project: '', runner }),
      ).rejects.toMatchObject({
        code: Code.InvalidArgument,
        details: { reason: 'invalid_runner' },
      });
    }
  });
});
