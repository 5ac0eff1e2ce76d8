import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ExitCode } from './exit-codes.js';
import { type ControlPlaneStack, startControlPlaneStack } from './testing/controlplane-stack.js';
import { createTestPostgresDatabase, type TestPostgresDatabase } from './testing/postgres.js';
import { spawnCairn } from './testing/spawn-cairn.js';
import { pushTestImage } from './testing/test-image.js';

// The attestation flow as a CI job runs it: each step its own `cairn` process, against the control plane
// (on PostgreSQL here, with bundles kept only in the CAS; on PGlite further down, with bundles in the
// database), the CAS and the test registry.
const servers = inject('testServers');

const FIXTURES: Record<string, string> = {
  'bom.cdx.json': JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    components: [{ type: 'library', name: 'left-pad' }],
  }),
  'bom.spdx.json': JSON.stringify({
    spdxVersion: 'SPDX-2.3',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: 'api',
    dataLicense: 'CC0-1.0',
    documentNamespace: 'https://example.com/spdx/api-1',
    creationInfo: { created: '2026-12-06T00:00:00Z', creators: ['Tool: test'] },
  }),
  'junit.xml':
    '<?xml version="1.0"?><testsuites><testsuite name="unit" tests="1"><testcase name="ok"/></testsuite></testsuites>',
  'scan.sarif': JSON.stringify({
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'scanner' } }, results: [] }],
  }),
  'vex.json': JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://example.com/vex/1',
    author: 'ci',
    timestamp: '2026-12-06T00:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2026-0001' },
        products: [{ '@id': 'pkg:npm/api@1' }],
        status: 'not_affected',
        justification: 'component_not_present',
      },
    ],
  }),
  'coverage.json': JSON.stringify({ lines: 91.5 }),
};

interface Flow {
  readonly stack: ControlPlaneStack;
  /** A CI workspace beside the project: its own folder, the settings through the environment. */
  readonly workspace: string;
  readonly env: Record<string, string>;
}

async function workspaceOf(stack: ControlPlaneStack, token?: string): Promise<Flow> {
  const workspace = await mkdtemp(join(stack.dir, 'ci-'));
  const cli = JSON.parse(await readFile(join(stack.project, '.cairn', 'cli.json'), 'utf8')) as {
    controlplane: { grpc: string; apiToken: string };
  };
  await writeFile(join(workspace, 'api-linux-amd64'), randomBytes(64 * 1024));
  for (const [name, text] of Object.entries(FIXTURES)) await writeFile(join(workspace, name), text);
  return {
    stack,
    workspace,
    env: {
      CAIRN_CONTROLPLANE_ADDRESS: cli.controlplane.grpc,
      CAIRN_API_TOKEN: token ?? cli.controlplane.apiToken,
    },
  };
}

function step(
  flow: Flow,
  args: readonly string[],
  extra: { env?: Record<string, string>; cwd?: string } = {},
) {
  return spawnCairn(args, { cwd: extra.cwd ?? flow.workspace, env: { ...flow.env, ...extra.env } });
}

async function json<T>(
  flow: Flow,
  args: readonly string[],
  extra: { env?: Record<string, string>; cwd?: string } = {},
): Promise<T> {
  const run = await step(flow, [...args, '--json'], extra);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout.toString()) as T;
}

/** The DSSE pre-authentication encoding of an envelope, as the DSSE spec defines it. */
function pae(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

/** openssl, not Cairn's code, checks the bundle's signature over the PAE with the public key. */
async function opensslVerifies(dir: string, bundleJson: string, publicKey: string): Promise<boolean> {
  const bundle = JSON.parse(bundleJson) as {
    dsseEnvelope: { payload: string; payloadType: string; signatures: Array<{ sig: string }> };
  };
  const envelope = bundle.dsseEnvelope;
  await writeFile(join(dir, 'pae.bin'), pae(envelope.payloadType, Buffer.from(envelope.payload, 'base64')));
  await writeFile(join(dir, 'sig.der'), Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'));
  try {
    execFileSync(
      'openssl',
      ['dgst', '-sha256', '-verify', publicKey, '-signature', join(dir, 'sig.der'), join(dir, 'pae.bin')],
      {
        stdio: 'pipe',
      },
    );
    return true;
  } catch {
    return false;
  }
}

function statementOf(bundleJson: string): {
  subject: Array<{ name: string; digest: { sha256: string } }>;
  predicate: {
    run: {
      id: string;
      workflow: string;
      project?: string;
      backend: { name: string; provider: string };
      fallback: boolean;
      runner: { type: string };
    };
    materials: Array<{ name: string; kind: string; digest: string; location: Record<string, unknown> }>;
    annotations: Record<string, string>;
  };
} {
  const bundle = JSON.parse(bundleJson) as { dsseEnvelope: { payload: string } };
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
}

describe('on PostgreSQL, bundles only in the CAS (attestations.skipDbStorage)', () => {
  let database: TestPostgresDatabase;
  let stack: ControlPlaneStack;
  let flow: Flow;
  let imageDigest: string;
  const image = `${servers.oci.open.host}/cairn/app-${randomBytes(3).toString('hex')}:1.0.0`;

  beforeAll(async () => {
    database = await createTestPostgresDatabase();
    stack = await startControlPlaneStack({
      databaseUrl: database.url,
      attestations: { skipDbStorage: true },
    });
    flow = await workspaceOf(stack);
    const [host, ...path] = image.split('/');
    const [repository, tag] = path.join('/').split(':');
    imageDigest = await pushTestImage(host ?? '', repository ?? '', tag ?? '');
  });

  afterAll(async () => {
    await stack?.close();
    await database?.drop();
  });

  it('runs init, add (every kind), status, push and verify as separate processes', async () => {
    const keys = await json<{ privateKey: string; publicKey: string }>(flow, [
      'keys',
      'generate',
      '--output',
      'signing',
    ]);
    expect((await stat(keys.privateKey)).mode & 0o777).toBe(0o600);

    const init = await step(flow, ['attestation', 'init', '--workflow', 'build', '--project', 'acme/api']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout.toString()).toMatch(/^RUN +\S+$/m);
    expect(init.stdout.toString()).toMatch(/^BACKEND +local \(filesystem\)$/m);
    expect(await stat(join(flow.workspace, '.cairn-attestation.json'))).toBeDefined();

    const detected: Array<[string, string]> = [
      ['binary', 'api-linux-amd64'],
      ['cyclonedx', 'bom.cdx.json'],
      ['spdx', 'bom.spdx.json'],
      ['junit', 'junit.xml'],
      ['sarif', 'scan.sarif'],
      ['vex', 'vex.json'],
      ['coverage', 'coverage.json'],
      ['version', '1.0.0'],
    ];
    const kinds: Record<string, string> = {};
    for (const [name, value] of detected) {
      const added = await json<{ material: { kind: string; location: Record<string, unknown> } }>(flow, [
        'attestation',
        'add',
        '--name',
        name,
        '--value',
        value,
        '--annotation',
        'stage=build',
      ]);
      kinds[name] = added.material.kind;
    }
    expect(kinds).toEqual({
      binary: 'ARTIFACT',
      cyclonedx: 'SBOM_CYCLONEDX_JSON',
      spdx: 'SBOM_SPDX_JSON',
      junit: 'JUNIT_XML',
      sarif: 'SARIF',
      vex: 'OPENVEX',
      coverage: 'EVIDENCE',
      version: 'STRING',
    });
    const table = await step(flow, [
      'attestation',
      'add',
      '--name',
      'image',
      '--kind',
      'CONTAINER_IMAGE',
      '--value',
      image,
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout.toString()).toMatch(/^NAME +KIND +DIGEST +SIZE +STORED$/m);
    expect(table.stdout.toString()).toMatch(/^image +CONTAINER_IMAGE +sha256:\w{12}… /m);

    const status = await step(flow, ['attestation', 'status', '--full']);
    expect(status.code).toBe(0);
    expect(status.stdout.toString()).toMatch(/^STATE +initialized$/m);
    expect(status.stdout.toString()).toContain(imageDigest);
    expect(status.stdout.toString()).toMatch(
      /^binary +ARTIFACT +sha256:\w{64} +64 KiB +local \(filesystem\) +stage=build$/m,
    );

    const push = await step(flow, [
      'attestation',
      'push',
      '--key',
      'signing.key',
      '--annotation',
      'release=1.0.0',
      '--output',
      'attestation.json',
    ]);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    const digest = push.stdout.toString().trim();
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const bundleJson = await readFile(join(flow.workspace, 'attestation.json'), 'utf8');
    expect(`sha256:${createHash('sha256').update(bundleJson).digest('hex')}`).toBe(digest);
    await expect(stat(join(flow.workspace, '.cairn-attestation.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    });

    const bundle = JSON.parse(bundleJson) as { mediaType: string; dsseEnvelope: { payloadType: string } };
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(await opensslVerifies(flow.workspace, bundleJson, keys.publicKey)).toBe(true);
    const statement = statementOf(bundleJson);
    expect(statement.subject.map((subject) => subject.name).sort()).toEqual(
      ['api-linux-amd64', image.split(':1.0.0')[0]].sort(),
    );
    expect(statement.predicate.run).toMatchObject({
      workflow: 'build',
      project: 'acme/api',
      fallback: false,
      backend: { name: 'local', provider: 'filesystem' },
    });
    expect(statement.predicate.materials).toHaveLength(9);
    expect(statement.predicate.materials.find((material) => material.name === 'image')).toMatchObject({
      digest: imageDigest,
      location: { image: { reference: expect.stringContaining(imageDigest) } },
    });
    expect(statement.predicate.annotations).toEqual({ release: '1.0.0' });

    const verify = await step(flow, ['attestation', 'verify', '-d', digest, '--key', 'signing.pub']);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    const rows = verify.stdout.toString().trim().split('\n');
    expect(rows[0]).toMatch(/^MATERIAL +KIND +DIGEST +STORED +RESULT$/);
    expect(rows.slice(1)).toHaveLength(9);
    for (const row of rows.slice(1)) expect(row).toMatch(/ ok$/);

    const runs = await json<{ runs: Array<{ id: string; state: string; attestation?: string }> }>(flow, [
      'workflow',
      'run',
      'list',
      '--workflow',
      'build',
    ]);
    expect(runs.runs[0]).toMatchObject({ state: 'succeeded', attestation: digest });

    // Kept only in the CAS: the database holds the digest, and `get` still returns the very bytes.
    const fetched = await step(flow, ['attestation', 'get', '-d', digest]);
    expect(fetched.stdout.toString()).toBe(bundleJson);
  });

  it('fails verification, naming what failed, when one byte of a stored material or of the bundle changes', async () => {
    await step(flow, ['keys', 'generate', '--output', 'tamper']);
    expect((await step(flow, ['attestation', 'init', '--workflow', 'tamper'])).code).toBe(0);
    const victim = randomBytes(4096);
    await writeFile(join(flow.workspace, 'victim.bin'), victim);
    expect((await step(flow, ['attestation', 'add', '--name', 'victim', '--value', 'victim.bin'])).code).toBe(
      0,
    );
    expect((await step(flow, ['attestation', 'add', '--name', 'note', '--value', 'kept inline'])).code).toBe(
      0,
    );
    const push = await step(flow, ['attestation', 'push', '--key', 'tamper.key', '--output', 'tamper.json']);
    expect(push.code).toBe(0);
    const digest = push.stdout.toString().trim();

    const bundleJson = await readFile(join(flow.workspace, 'tamper.json'), 'utf8');
    const bundle = JSON.parse(bundleJson) as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    const at = payload.indexOf('tamper');
    payload.writeUInt8(payload.readUInt8(at) ^ 0x01, at);
    bundle.dsseEnvelope.payload = payload.toString('base64');
    await writeFile(join(flow.workspace, 'tampered.json'), JSON.stringify(bundle));
    const badBundle = await step(flow, [
      'attestation',
      'verify',
      '--bundle',
      'tampered.json',
      '--key',
      'tamper.pub',
    ]);
    expect(badBundle.code).toBe(ExitCode.VerificationFailed);
    expect(badBundle.stderr).toMatch(/^cairn: .*signature/);

    const hex = createHash('sha256').update(victim).digest('hex');
    const stored = join(stack.dir, 'blobs', 'sha256', hex.slice(0, 2), hex);
    const bytes = await readFile(stored);
    bytes.writeUInt8(bytes.readUInt8(100) ^ 0xff, 100);
    await writeFile(stored, bytes);
    const badMaterial = await step(flow, ['attestation', 'verify', '-d', digest, '--key', 'tamper.pub']);
    expect(badMaterial.code).toBe(ExitCode.VerificationFailed);
    expect(badMaterial.stdout.toString()).toMatch(/^victim +ARTIFACT .* mismatch/m);
    expect(badMaterial.stdout.toString()).toMatch(/^note +STRING .* ok$/m);
    expect(badMaterial.stderr).toBe(
      'cairn: the signature is good, but 1 of 2 materials failed: victim (mismatch)\n',
    );
  });

  it('keeps the state in the control plane with --remote-state, so steps run on other machines', async () => {
    const started = await json<{ runId: string; state: string }>(
      flow,
      ['attestation', 'init', '--workflow', 'remote', '--remote-state'],
      {
        cwd: await mkdtemp(join(stack.dir, 'machine-a-')),
      },
    );
    expect(started.state).toBe('remote');
    const machineB = await mkdtemp(join(stack.dir, 'machine-b-'));
    await writeFile(join(machineB, 'report.sarif'), FIXTURES['scan.sarif'] ?? '');
    await step(flow, ['keys', 'generate', '--output', join(machineB, 'key')]);
    const add = await step(
      flow,
      ['attestation', 'add', '--attestation-id', started.runId, '--name', 'scan', '--value', 'report.sarif'],
      { cwd: machineB },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const machineC = await mkdtemp(join(stack.dir, 'machine-c-'));
    const push = await step(flow, ['attestation', 'push', '--key', join(machineB, 'key.key')], {
      cwd: machineC,
      env: { CAIRN_ATTESTATION_ID: started.runId },
    });
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    const again = await step(flow, ['attestation', 'status', '--attestation-id', started.runId], {
      cwd: machineC,
    });
    expect(again.stdout.toString()).toMatch(/^STATE +succeeded$/m);
  });

  it('sends no step of a run to a control plane other than the one it was started on', async () => {
    const cwd = await mkdtemp(join(stack.dir, 'moved-'));
    const started = await json<{ runId: string }>(flow, ['attestation', 'init', '--workflow', 'moved'], {
      cwd,
    });
    const elsewhere = { cwd, env: { CAIRN_CONTROLPLANE_ADDRESS: '127.0.0.1:1' } };
    for (const args of [['status'], ['add', '--name', 'note', '--value', 'text'], ['reset']]) {
      const refused = await step(flow, ['attestation', ...args], elsewhere);
      expect(refused.code, args.join(' ')).toBe(ExitCode.Failure);
      expect(refused.stderr).toBe(
        `cairn: run ${started.runId} in ${join(cwd, '.cairn-attestation.json')} was started on the control plane at ${flow.env.CAIRN_CONTROLPLANE_ADDRESS}, not at 127.0.0.1:1 (from CAIRN_CONTROLPLANE_ADDRESS); run this step with --controlplane-address ${flow.env.CAIRN_CONTROLPLANE_ADDRESS}, or remove ${join(cwd, '.cairn-attestation.json')} and start again with \`cairn attestation init\`\n`,
      );
    }
    // Nothing was lost: the run goes on where it was started.
    const status = await step(flow, ['attestation', 'status'], { cwd });
    expect(status.code).toBe(0);
    expect(status.stdout.toString()).toMatch(/^STATE +initialized$/m);
  });

  it('refuses an invalid SBOM, a file missing for its kind, and a second material of the same name', async () => {
    expect((await step(flow, ['attestation', 'init', '--workflow', 'refusals'])).code).toBe(0);
    await writeFile(
      join(flow.workspace, 'broken.cdx.json'),
      JSON.stringify({ bomFormat: 'SPDX', specVersion: '1.6' }),
    );
    const invalid = await step(flow, [
      'attestation',
      'add',
      '--name',
      'sbom',
      '--kind',
      'SBOM_CYCLONEDX_JSON',
      '--value',
      'broken.cdx.json',
    ]);
    expect(invalid.code).toBe(ExitCode.Failure);
    expect(invalid.stderr).toMatch(
      /^cairn: broken\.cdx\.json is not a CycloneDX SBOM: "bomFormat" must be "CycloneDX"/,
    );
    const missing = await step(flow, [
      'attestation',
      'add',
      '--name',
      'sbom',
      '--kind',
      'SBOM_SPDX_JSON',
      '--value',
      'nope.json',
    ]);
    expect(missing.code).toBe(ExitCode.Failure);
    expect(missing.stderr).toContain('nope.json is not a file');
    expect((await step(flow, ['attestation', 'add', '--name', 'twice', '--value', 'one'])).code).toBe(0);
    const twice = await step(flow, ['attestation', 'add', '--name', 'twice', '--value', 'two']);
    expect(twice.code).toBe(ExitCode.Failure);
    expect(twice.stderr).toContain('twice');
    const reset = await step(flow, [
      'attestation',
      'reset',
      '--trigger',
      'cancellation',
      '--reason',
      'test over',
    ]);
    expect(reset.code).toBe(0);
    expect(reset.stdout.toString()).toContain('cancelled');
  });
});

describe('on PGlite, bundles in the database', () => {
  let stack: ControlPlaneStack;
  let flow: Flow;

  beforeAll(async () => {
    stack = await startControlPlaneStack({ attestations: { skipDbStorage: false } });
    flow = await workspaceOf(stack);
    await step(flow, ['keys', 'generate', '--output', 'signing']);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('picks the fallback when the default fails its check, says so, and the bundle records it', async () => {
    const primary = join(stack.dir, 'primary');
    const spare = join(stack.dir, 'spare');
    await mkdir(primary);
    await mkdir(spare);
    const admin = { cwd: stack.project, env: { CAIRN_API_TOKEN: '', CAIRN_CONTROLPLANE_ADDRESS: '' } };
    expect(
      (
        await spawnCairn(
          ['cas-backend', 'add', 'filesystem', '--name', 'primary', '--path', primary, '--default'],
          admin,
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await spawnCairn(
          ['cas-backend', 'add', 'filesystem', '--name', 'spare', '--path', spare, '--fallback'],
          admin,
        )
      ).code,
    ).toBe(0);
    await rm(primary, { recursive: true });
    expect((await spawnCairn(['cas-backend', 'revalidate', 'primary'], admin)).code).toBe(ExitCode.Failure);

    const init = await step(flow, ['attestation', 'init', '--workflow', 'fallback']);
    expect(init.code).toBe(0);
    expect(init.stdout.toString()).toMatch(
      /^BACKEND +spare \(filesystem\): the fallback, because the default backend failed its last write check$/m,
    );
    expect(
      (await step(flow, ['attestation', 'add', '--name', 'binary', '--value', 'api-linux-amd64'])).code,
    ).toBe(0);
    const push = await step(flow, [
      'attestation',
      'push',
      '--key',
      'signing.key',
      '--output',
      'fallback.json',
    ]);
    expect(push.code).toBe(0);
    const statement = statementOf(await readFile(join(flow.workspace, 'fallback.json'), 'utf8'));
    expect(statement.predicate.run).toMatchObject({ fallback: true, backend: { name: 'spare' } });
    const verify = await step(flow, [
      'attestation',
      'verify',
      '-d',
      push.stdout.toString().trim(),
      '--key',
      'signing.pub',
    ]);
    expect(verify.code).toBe(0);
    expect((await spawnCairn(['cas-backend', 'update', 'local', '--default'], admin)).code).toBe(0);
  });

  it('embeds small materials on the inline backend and refuses one over its cap, naming the cap and the fix', async () => {
    const created = await spawnCairn(
      ['org', 'create', `inline-${randomBytes(3).toString('hex')}`, '--json'],
      { cwd: stack.project },
    );
    const { apiToken } = JSON.parse(created.stdout.toString()) as { apiToken: string };
    const inlineFlow = await workspaceOf(stack, apiToken);
    await step(inlineFlow, ['keys', 'generate', '--output', 'signing']);
    const init = await step(inlineFlow, ['attestation', 'init', '--workflow', 'inline']);
    expect(init.stdout.toString()).toMatch(/^BACKEND +inline \(inline\)$/m);
    const added = await step(inlineFlow, ['attestation', 'add', '--name', 'sbom', '--value', 'bom.cdx.json']);
    expect(added.code).toBe(0);
    expect(added.stdout.toString()).toMatch(/^sbom +SBOM_CYCLONEDX_JSON +\S+ +\S+ B +inline$/m);
    await writeFile(join(inlineFlow.workspace, 'big.bin'), randomBytes(600 * 1024));
    const big = await step(inlineFlow, ['attestation', 'add', '--name', 'big', '--value', 'big.bin']);
    expect(big.code).toBe(ExitCode.Failure);
    expect(big.stderr).toContain('over the 500 KiB the inline backend embeds');
    expect(big.stderr).toContain('`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default`');
    const push = await step(inlineFlow, ['attestation', 'push', '--key', 'signing.key']);
    expect(push.code).toBe(0);
    const verify = await step(inlineFlow, [
      'attestation',
      'verify',
      '-d',
      push.stdout.toString().trim(),
      '--key',
      'signing.pub',
    ]);
    expect(verify.stdout.toString()).toMatch(/^sbom +SBOM_CYCLONEDX_JSON .* inline +ok$/m);
    expect(verify.code).toBe(0);
  });
});

// A stack of its own: a lifetime short enough to wait out would also cut short the multi-step flows above
// on a loaded machine (each step is a `cairn` process of its own).
describe('on PGlite, runs with a 2 s lifetime', () => {
  let stack: ControlPlaneStack;
  let flow: Flow;

  beforeAll(async () => {
    stack = await startControlPlaneStack({ attestations: { skipDbStorage: false, runLifetimeSeconds: 2 } });
    flow = await workspaceOf(stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('marks a run never pushed within its lifetime as expired, and refuses to go on with it', async () => {
    expect((await step(flow, ['attestation', 'init', '--workflow', 'slow'])).code).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const late = await step(flow, ['attestation', 'add', '--name', 'late', '--value', 'too late']);
    expect(late.code).toBe(ExitCode.Failure);
    expect(late.stderr).toContain('expired');
    expect(late.stderr).toContain('cairn attestation init');
    const expired = await json<{ runs: Array<{ workflow: string; state: string }> }>(flow, [
      'workflow',
      'run',
      'list',
      '--status',
      'expired',
    ]);
    expect(expired.runs.map((run) => run.workflow)).toContain('slow');
  });
});
