import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import type { BackendView } from './backends/backend-view.js';
import { type ControlPlaneStack, startControlPlaneStack } from './testing/controlplane-stack.js';
import { spawnCairn } from './testing/spawn-cairn.js';

// `cairn` as a user runs it beside `npm start`: .cairn/cli.json holds only what the control plane wrote
// (its address and an API token), so every CAS token comes from the control plane.
let stack: ControlPlaneStack;
let bytes: Buffer;
let digest: string;

beforeAll(async () => {
  stack = await startControlPlaneStack();
  bytes = randomBytes(2 * 1024 * 1024 + 7);
  digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(stack.project, 'sbom.json'), bytes);
});

afterAll(async () => {
  await stack?.close();
});

function cairn(args: readonly string[], env: Record<string, string> = {}, cwd = stack.project) {
  return spawnCairn(args, { cwd, env });
}

function expectOneLineError(expect: ExpectStatic, stderr: string, text: string): void {
  expect(stderr).toMatch(/^cairn: /);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toContain(text);
}

async function backendNamed(name: string): Promise<BackendView | undefined> {
  const listed = await cairn(['backend', 'list', '--json']);
  expect(listed.code).toBe(0);
  const { backends } = JSON.parse(listed.stdout.toString()) as { backends: BackendView[] };
  return backends.find((backend) => backend.name === name);
}

describe('cairn with the control plane named in .cairn/cli.json', () => {
  it('uploads with a token from the control plane, to the CAS it names, and the digest is mapped', async () => {
    const cli = JSON.parse(await readFile(join(stack.project, '.cairn', 'cli.json'), 'utf8'));
    expect(Object.keys(cli)).toEqual(['controlplane']);

    const run = await cairn(['artifact', 'upload', '-f', 'sbom.json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe(`${digest}\n`);

    const locations = await stack.controlPlane.core.store.blobLocations.list(stack.orgId, digest);
    const local = await stack.controlPlane.core.store.backends.findDefault(stack.orgId);
    expect(local?.name).toBe('local');
    expect(locations).toEqual([
      expect.objectContaining({ digest, backendId: local?.id, size: bytes.length }),
    ]);
  });

  it('lists the backends: the filesystem default and the inline one', async () => {
    const run = await cairn(['backend', 'list']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.toString().trimEnd().split('\n');
    expect(header).toMatch(/^NAME +PROVIDER +ROLE +STATUS +VALIDATED +LOCATION$/);
    expect(rows[0]).toMatch(
      new RegExp(`^local +filesystem +default +ok +\\S+Z +${join(stack.dir, 'blobs')}$`),
    );
    expect(rows[1]).toMatch(/^inline +inline +- +ok /);
    expect(rows).toHaveLength(2);
  });

  it('downloads through the digest map after the default moved to a backend that lacks the blob', async () => {
    const added = await cairn([
      'backend',
      'add',
      '--name',
      'archive',
      '--provider',
      'filesystem',
      '--location',
      join(stack.dir, 'archive'),
      '--default',
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(await backendNamed('archive')).toMatchObject({ default: true, validation: { status: 'ok' } });
    expect(await backendNamed('local')).toMatchObject({ default: false });

    const download = await cairn(['artifact', 'download', '-d', digest, '-o', 'copy.json']);
    expect(download.stderr).toBe('');
    expect(download.code).toBe(0);
    expect((await readFile(join(stack.project, 'copy.json'))).equals(bytes)).toBe(true);

    // New evidence goes to the new default, and is recorded there.
    await writeFile(join(stack.project, 'later.txt'), `later ${Date.now()}`);
    const upload = await cairn(['artifact', 'upload', '-f', 'later.txt', '--json']);
    expect(upload.code).toBe(0);
    expect(JSON.parse(upload.stdout.toString())).toMatchObject({ backend: 'archive', existed: false });

    const back = await cairn(['backend', 'set-default', '--name', 'local', '--json']);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout.toString()).backend).toMatchObject({ name: 'local', default: true });
  });

  it('revalidates on demand and exits 1 with the reason when the write check fails', async () => {
    const location = join(stack.dir, 'fragile');
    const added = await cairn([
      'backend',
      'add',
      '--name',
      'fragile',
      '--provider',
      'filesystem',
      '--location',
      location,
    ]);
    expect(added.code).toBe(0);
    expect((await cairn(['backend', 'revalidate', '--name', 'fragile'])).code).toBe(0);

    await rm(location, { recursive: true, force: true });
    await writeFile(location, 'a file where the directory was');
    const failed = await cairn(['backend', 'revalidate', '--name', 'fragile']);
    expect(failed.code).toBe(1);
    expectOneLineError(expect, failed.stderr, 'backend "fragile" failed its write check');
    expect(await backendNamed('fragile')).toMatchObject({ validation: { status: 'failed' } });
  });

  it('creates an API token that works from any folder through CAIRN_API_TOKEN', async () => {
    const created = await cairn(['token', 'create', '--name', 'ci', '--robot', '--expires', '1d']);
    expect(created.code).toBe(0);
    const secret = created.stdout.toString().trim();
    expect(secret).toMatch(/^cairn_[\w-]{43}$/);
    const elsewhere = await mkdtemp(join(stack.dir, 'elsewhere-'));
    const env = { CAIRN_API_TOKEN: secret, CAIRN_CONTROLPLANE_ADDRESS: stack.controlPlane.grpcAddress };
    const download = await cairn(['artifact', 'download', '-d', digest, '-o', 'got.json'], env, elsewhere);
    expect(download.stderr).toBe('');
    expect(download.code).toBe(0);
    expect((await readFile(join(elsewhere, 'got.json'))).equals(bytes)).toBe(true);
  });
});

describe.concurrent('cairn refusals around the control plane', () => {
  it('exits 1 with one line saying what to do when the API token is not accepted', async ({ expect }) => {
    const bogus = `cairn_${randomBytes(32).toString('base64url')}`;
    const run = await cairn(['artifact', 'upload', '-f', 'sbom.json'], { CAIRN_API_TOKEN: bogus });
    expect(run.code).toBe(1);
    expect(run.stdout.toString()).toBe('');
    expectOneLineError(
      expect,
      run.stderr,
      `the control plane at ${stack.controlPlane.grpcAddress} did not accept the API token from CAIRN_API_TOKEN`,
    );
    expect(run.stderr).toContain('`cairn token create` makes one');
    expect(run.stderr).not.toContain(bogus);

    const list = await cairn(['backend', 'list'], { CAIRN_API_TOKEN: bogus });
    expect(list.code).toBe(1);
    expectOneLineError(expect, list.stderr, 'did not accept the API token from CAIRN_API_TOKEN');
  });

  it('tells an organisation without a CAS backend how to add one with the CLI', async ({ expect }) => {
    const { core } = stack.controlPlane;
    const org = await core.organizations.create(`lonely-${randomBytes(4).toString('hex')}`);
    const { secret } = await core.apiTokens.create(org.id, { name: 'test', kind: 'user' });
    const run = await cairn(['artifact', 'upload', '-f', 'sbom.json'], { CAIRN_API_TOKEN: secret });
    expect(run.code).toBe(1);
    expectOneLineError(expect, run.stderr, 'is inline');
    expect(run.stderr).toContain('with the CLI: `cairn backend add --name NAME');
  });

  it('says where the address came from when the control plane cannot be reached', async ({ expect }) => {
    const run = await cairn(['backend', 'list'], {
      CAIRN_CONTROLPLANE_ADDRESS: '127.0.0.1:1',
      CAIRN_API_TOKEN: `cairn_${'a'.repeat(43)}`,
    });
    expect(run.code).toBe(1);
    expectOneLineError(
      expect,
      run.stderr,
      'cannot reach the control plane at 127.0.0.1:1 (connection refused); check that it runs and that the address is right (the address came from CAIRN_CONTROLPLANE_ADDRESS)',
    );
  });

  it('never sends the API token of cli.json to another control plane', async ({ expect }) => {
    const run = await cairn(['backend', 'list', '--controlplane-address', '127.0.0.1:1']);
    expect(run.code).toBe(1);
    expectOneLineError(expect, run.stderr, 'no API token for it is set; set CAIRN_API_TOKEN');
  });

  it('keeps usage errors at exit 2', async ({ expect }) => {
    const run = await cairn(['backend', 'add', '--name', 'x', '--provider', 'filesystem']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('backend add needs --location');
  });
});
