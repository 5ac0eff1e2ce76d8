import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, inject, it } from 'vitest';
import type { BackendView } from './backends/backend-view.js';
import { ExitCode } from './exit-codes.js';
import { type ControlPlaneStack, startControlPlaneStack } from './testing/controlplane-stack.js';
import { spawnCairn } from './testing/spawn-cairn.js';

// `cairn` as a user runs it beside `npm start` (.cairn/cli.json holds what the control plane wrote: its
// address, an API token and an admin token), against the real storage servers of each provider.
let stack: ControlPlaneStack;
let bytes: Buffer;
let digest: string;
const servers = inject('testServers');

beforeAll(async () => {
  stack = await startControlPlaneStack();
  bytes = randomBytes(2 * 1024 * 1024 + 7);
  digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(stack.project, 'sbom.json'), bytes);
});

afterAll(async () => {
  await stack?.close();
});

function cairn(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
) {
  return spawnCairn(args, {
    cwd: options.cwd ?? stack.project,
    env: options.env ?? {},
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });
}

function expectOneLineError(expect: ExpectStatic, stderr: string, text: string): void {
  expect(stderr).toMatch(/^cairn: /);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toContain(text);
}

async function backends(): Promise<BackendView[]> {
  const listed = await cairn(['cas-backend', 'list', '--output', 'json']);
  expect(listed.stderr).toBe('');
  expect(listed.code).toBe(0);
  return (JSON.parse(listed.stdout.toString()) as { backends: BackendView[] }).backends;
}

async function backendNamed(name: string): Promise<BackendView | undefined> {
  return (await backends()).find((backend) => backend.name === name);
}

/** A new file of `size` random bytes in the project folder, and its digest. */
async function evidence(name: string, size = 1024): Promise<string> {
  const data = randomBytes(size);
  await writeFile(join(stack.project, name), data);
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

describe('artifacts through the control plane named in .cairn/cli.json', () => {
  it('uploads with a token from the control plane, to the CAS it names, and the digest is mapped', async () => {
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

  it('prints the upload as JSON with --output json, naming the backend', async () => {
    const run = await cairn(['artifact', 'upload', '-f', 'sbom.json', '--output', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toEqual({
      digest,
      size: bytes.length,
      fileName: 'sbom.json',
      existed: true,
      backend: 'local',
    });
  });
});

describe('cairn cas-backend', () => {
  it('lists NAME LOCATION PROVIDER DESCRIPTION LIMITS DEFAULT FALLBACK STATUS, and the times and errors with --full', async () => {
    const run = await cairn(['cas-backend', 'list']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [header, ...rows] = run.stdout.toString().trimEnd().split('\n');
    expect(header).toMatch(/^NAME +LOCATION +PROVIDER +DESCRIPTION +LIMITS +DEFAULT +FALLBACK +STATUS$/);
    expect(rows[0]).toMatch(
      new RegExp(`^local +${join(stack.dir, 'blobs')} +filesystem +.* max 1 GiB +yes +no +ok$`),
    );
    expect(rows[1]).toMatch(/^inline +\(inside the attestation\) +inline +.*max 500 KiB +no +no +ok$/);

    const full = await cairn(['cas-backend', 'list', '--full']);
    const [fullHeader, fullLocal] = full.stdout.toString().split('\n');
    expect(fullHeader).toMatch(/STATUS +VALIDATED AT +VALIDATION ERROR$/);
    expect(fullLocal).toMatch(/ ok +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('adds a filesystem backend, with its limit shown as given', async () => {
    const path = join(stack.dir, 'disk-a');
    await mkdir(path);
    const run = await cairn([
      'cas-backend',
      'add',
      'filesystem',
      '--name',
      'disk-a',
      '--path',
      path,
      '--description',
      'build evidence',
      '--max-bytes',
      '100MB',
      '--output',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.toString()).backend).toMatchObject({
      name: 'disk-a',
      provider: 'filesystem',
      location: path,
      description: 'build evidence',
      maxBytes: 100_000_000,
      default: false,
      validation: { status: 'ok' },
    });
  });

  it('adds an OCI backend on a real registry with a password from stdin, and rotates it', async () => {
    const registry = servers.oci.basicAuth;
    const repo = `${registry.host}/cairn/cli-${randomBytes(3).toString('hex')}`;
    const added = await cairn(
      [
        'cas-backend',
        'add',
        'oci',
        '--name',
        'registry',
        '--repo',
        repo,
        '--username',
        registry.username,
        '--password-stdin',
      ],
      { stdin: `${registry.password}\n` },
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout.toString()).toContain(repo);

    // A wrong password is proven wrong by the CAS and the stored one stays in force.
    const wrong = await cairn(['cas-backend', 'update', 'registry', '--password-stdin'], { stdin: 'not-it' });
    expect(wrong.code).toBe(ExitCode.Failure);
    expectOneLineError(
      expect,
      wrong.stderr,
      'the new credentials of "registry" failed the write check, so the old ones stay in force',
    );
    expect(wrong.stderr).not.toContain('not-it');
    const revalidated = await cairn(['cas-backend', 'revalidate', 'registry']);
    expect(revalidated.code).toBe(0);

    const rotated = await cairn(
      ['cas-backend', 'update', 'registry', '--password-stdin', '--description', 'rotated'],
      {
        stdin: registry.password,
      },
    );
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(await backendNamed('registry')).toMatchObject({
      description: 'rotated',
      validation: { status: 'ok' },
    });
  });

  it('refuses an OCI backend whose password is wrong, saving nothing', async () => {
    const registry = servers.oci.basicAuth;
    const run = await cairn(
      [
        'cas-backend',
        'add',
        'oci',
        '--name',
        'bad-registry',
        '--repo',
        `${registry.host}/cairn/bad`,
        '--username',
        registry.username,
        '--password-stdin',
      ],
      { stdin: 'wrong' },
    );
    expect(run.code).toBe(ExitCode.Failure);
    expectOneLineError(
      expect,
      run.stderr,
      'backend "bad-registry" failed the write check, so nothing was saved',
    );
    expect(await backendNamed('bad-registry')).toBeUndefined();
  });

  it('adds an S3 backend on Swift with the secret from a file, and rotates the secret alone', async () => {
    const bucket = `cairn-cli-${randomBytes(4).toString('hex')}`;
    const s3 = new S3Client({
      endpoint: servers.s3.endpoint,
      region: servers.s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: servers.s3.accessKeyId, secretAccessKey: servers.s3.secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    s3.destroy();
    await writeFile(join(stack.project, 's3-secret'), `${servers.s3.secretAccessKey}\n`, { mode: 0o600 });
    const added = await cairn([
      'cas-backend',
      'add',
      'aws-s3',
      '--name',
      'swift',
      '--bucket',
      `${bucket}/evidence`,
      '--region',
      servers.s3.region,
      '--endpoint',
      servers.s3.endpoint,
      '--force-path-style',
      '--access-key-id',
      servers.s3.accessKeyId,
      '--secret-access-key-file',
      's3-secret',
    ]);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);

    // The unprivileged user of the same account may not write the admin's bucket: refused, old kept.
    const other = await cairn(
      [
        'cas-backend',
        'update',
        'swift',
        '--access-key-id',
        servers.s3.unprivileged.accessKeyId,
        '--secret-access-key-stdin',
      ],
      { stdin: servers.s3.unprivileged.secretAccessKey },
    );
    expect(other.code).toBe(ExitCode.Failure);
    expectOneLineError(expect, other.stderr, 'the old ones stay in force');
    const again = await cairn([
      'cas-backend',
      'update',
      'swift',
      '--secret-access-key-file',
      's3-secret',
      '--output',
      'json',
    ]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.toString()).backend).toMatchObject({
      name: 'swift',
      validation: { status: 'ok' },
    });
  });

  it('adds an Azure Blob backend on Azurite with the account key from the environment', async () => {
    const run = await cairn(
      [
        'cas-backend',
        'add',
        'azure-blob',
        '--name',
        'azurite',
        '--storage-account',
        servers.azure.accountName,
        '--container',
        `cli-${randomBytes(4).toString('hex')}/evidence`,
        '--endpoint',
        servers.azure.endpoint,
      ],
      { env: { AZURE_STORAGE_KEY: servers.azure.accountKey } },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await backendNamed('azurite')).toMatchObject({
      provider: 'azure-blob',
      validation: { status: 'ok' },
    });
  });

  it('refuses credential flags of another provider on update, by name', async () => {
    const run = await cairn(['cas-backend', 'update', 'swift', '--storage-account', 'x']);
    expect(run.code).toBe(ExitCode.Usage);
    expectOneLineError(
      expect,
      run.stderr,
      '--storage-account belongs to azure-blob backends, and this one is aws-s3',
    );
  });

  it('refuses a directory the CAS does not serve, naming what it serves, and saves nothing', async () => {
    const outside = await mkdtemp(join(stack.dir, '..', 'cairn-outside-'));
    try {
      const run = await cairn([
        'cas-backend',
        'add',
        'filesystem',
        '--name',
        'elsewhere',
        '--path',
        outside,
        '--default',
      ]);
      expect(run.code).toBe(ExitCode.Failure);
      expectOneLineError(
        expect,
        run.stderr,
        'backend "elsewhere" failed the write check, so nothing was saved',
      );
      expect(run.stderr).toContain(stack.dir);
      expect(await backendNamed('elsewhere')).toBeUndefined();
      expect((await backendNamed('local'))?.default).toBe(true);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses a directory that does not exist, creating nothing', async () => {
    const missing = join(stack.dir, 'not-there', 'deeper');
    const run = await cairn(['cas-backend', 'add', 'filesystem', '--name', 'missing', '--path', missing]);
    expect(run.code).toBe(ExitCode.Failure);
    expectOneLineError(
      expect,
      run.stderr,
      `directory ${missing} does not exist on the CAS's host; create it and try again`,
    );
    await expect(stat(join(stack.dir, 'not-there'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('moves uploads to the fallback when the default fails its check, and says so in the listing', async () => {
    const primary = join(stack.dir, 'primary');
    const spare = join(stack.dir, 'spare');
    await mkdir(primary);
    await mkdir(spare);
    expect(
      (await cairn(['cas-backend', 'add', 'filesystem', '--name', 'primary', '--path', primary, '--default']))
        .code,
    ).toBe(0);
    expect(
      (await cairn(['cas-backend', 'add', 'filesystem', '--name', 'spare', '--path', spare, '--fallback']))
        .code,
    ).toBe(0);
    await evidence('to-primary.txt');
    const first = await cairn(['artifact', 'upload', '-f', 'to-primary.txt', '--json']);
    expect(JSON.parse(first.stdout.toString())).toMatchObject({ backend: 'primary' });

    await rm(primary, { recursive: true, force: true });
    await writeFile(primary, 'a file where the directory was');
    const failed = await cairn(['cas-backend', 'revalidate', 'primary']);
    expect(failed.code).toBe(ExitCode.Failure);
    expect(failed.stderr).toContain('backend "primary" failed its write check');
    const list = await cairn(['cas-backend', 'list']);
    expect(list.stdout.toString()).toContain(
      'validation failed for primary: see why with `cairn cas-backend list --full`',
    );

    await evidence('to-spare.txt');
    const second = await cairn(['artifact', 'upload', '-f', 'to-spare.txt', '--json']);
    expect(second.stderr).toBe('');
    expect(JSON.parse(second.stdout.toString())).toMatchObject({ backend: 'spare' });

    expect((await cairn(['cas-backend', 'update', 'local', '--default'])).code).toBe(0);
  });

  it('refuses a blob over the backend limit before sending it, naming the backend and the fix', async () => {
    const small = join(stack.dir, 'small');
    await mkdir(small);
    expect(
      (
        await cairn([
          'cas-backend',
          'add',
          'filesystem',
          '--name',
          'small',
          '--path',
          small,
          '--max-bytes',
          '1KiB',
          '--default',
        ])
      ).code,
    ).toBe(0);
    try {
      const big = await evidence('big.bin', 1536);
      const run = await cairn(['artifact', 'upload', '-f', 'big.bin']);
      expect(run.code).toBe(ExitCode.Failure);
      expectOneLineError(
        expect,
        run.stderr,
        'the file is 1.5 KiB, over the 1 KiB limit of backend "small"; raise it with `cairn cas-backend update small --max-bytes SIZE`',
      );
      expect(run.stderr).not.toMatch(/token/i);
      const hex = big.slice('sha256:'.length);
      await expect(stat(join(small, 'sha256', hex.slice(0, 2), hex))).rejects.toMatchObject({
        code: 'ENOENT',
      });
      expect(await backendNamed('small')).toMatchObject({ maxBytes: 1024 });
    } finally {
      expect((await cairn(['cas-backend', 'update', 'local', '--default'])).code).toBe(0);
    }
  });

  it('accepts the inline backend as default with a warning, and then says how to add a storage backend', async () => {
    const inline = await cairn(['cas-backend', 'update', 'inline', '--default']);
    expect(inline.code).toBe(0);
    expect(inline.stderr).toContain('`cairn artifact upload` needs a storage backend as the default');
    try {
      await evidence('inline.txt');
      const run = await cairn(['artifact', 'upload', '-f', 'inline.txt']);
      expect(run.code).toBe(ExitCode.Failure);
      expectOneLineError(
        expect,
        run.stderr,
        '`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default`',
      );
      expect(run.stderr).not.toMatch(/Service|GetUploadCreds|CASCredentials/);
    } finally {
      expect((await cairn(['cas-backend', 'update', 'local', '--default'])).code).toBe(0);
    }
  });

  it('deletes only after --yes (or a yes at the prompt), and a blob it holds stays downloadable', async () => {
    const doomed = join(stack.dir, 'doomed');
    await mkdir(doomed);
    expect(
      (await cairn(['cas-backend', 'add', 'filesystem', '--name', 'doomed', '--path', doomed, '--default']))
        .code,
    ).toBe(0);
    const kept = await evidence('kept.txt', 4096);
    const upload = await cairn(['artifact', 'upload', '-f', 'kept.txt', '--json']);
    expect(JSON.parse(upload.stdout.toString())).toMatchObject({ digest: kept, backend: 'doomed' });

    const unasked = await cairn(['cas-backend', 'delete', 'doomed']);
    expect(unasked.code).toBe(ExitCode.Usage);
    expectOneLineError(
      expect,
      unasked.stderr,
      'deleting backend "doomed" needs --yes when no one can be asked',
    );
    expect(await backendNamed('doomed')).toBeDefined();

    const deleted = await cairn(['cas-backend', 'delete', 'doomed', '--yes']);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout.toString()).toContain('deleted backend "doomed"');
    expect(await backendNamed('doomed')).toBeUndefined();

    const download = await cairn(['artifact', 'download', '-d', kept, '--output', 'kept-copy.txt']);
    expect(download.stderr).toBe('');
    expect(download.code).toBe(0);
    expect(await readFile(join(stack.project, 'kept-copy.txt'))).toEqual(
      await readFile(join(stack.project, 'kept.txt')),
    );
    expect((await cairn(['cas-backend', 'update', 'local', '--default'])).code).toBe(0);
  });
});

describe('cairn org and cairn token', () => {
  it('creates an organisation with the admin token of cli.json, whose first token works at once', async () => {
    const name = `acme-${randomBytes(3).toString('hex')}`;
    const created = await cairn(['org', 'create', name, '--json']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const { organization, apiToken } = JSON.parse(created.stdout.toString()) as {
      organization: { id: string; name: string };
      apiToken: string;
    };
    expect(organization.name).toBe(name);
    expect(apiToken).toMatch(/^cairn_/);

    const env = { CAIRN_API_TOKEN: apiToken };
    const list = await cairn(['cas-backend', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    expect(
      (JSON.parse(list.stdout.toString()) as { backends: BackendView[] }).backends.map((b) => b.name),
    ).toEqual(['inline']);

    const orgs = await cairn(['org', 'list']);
    expect(orgs.code).toBe(0);
    expect(orgs.stdout.toString()).toMatch(/^NAME +ID +CREATED$/m);
    expect(orgs.stdout.toString()).toContain(name);
    const own = await cairn(['org', 'list', '--json'], { env });
    expect(JSON.parse(own.stdout.toString()).organizations.map((org: { name: string }) => org.name)).toEqual([
      name,
    ]);

    const forOther = await cairn(['token', 'create', '--name', 'ci', '--robot', '--org', name, '--json']);
    expect(forOther.code).toBe(0);
    expect(JSON.parse(forOther.stdout.toString())).toMatchObject({ name: 'ci', kind: 'robot' });
  });

  it('refuses organisation management with an organisation token, naming what to use', async () => {
    const token = await cairn(['token', 'create', '--name', 'plain', '--json']);
    const secret = JSON.parse(token.stdout.toString()).secret as string;
    const run = await cairn(['org', 'create', 'nope'], { env: { CAIRN_API_TOKEN: secret } });
    expect(run.code).toBe(ExitCode.Failure);
    expect(run.stderr).toMatch(/^cairn: .*admin/);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('creates, lists and revokes API tokens; a revoked one is refused at once', async () => {
    const created = await cairn([
      'token',
      'create',
      '--name',
      'ci-release',
      '--robot',
      '--expires',
      '90d',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const { id, secret } = JSON.parse(created.stdout.toString()) as { id: string; secret: string };
    const elsewhere = await mkdtemp(join(stack.dir, 'elsewhere-'));
    const env = { CAIRN_API_TOKEN: secret, CAIRN_CONTROLPLANE_ADDRESS: stack.controlPlane.grpcAddress };
    const download = await cairn(['artifact', 'download', '-d', digest, '-o', 'got.json'], {
      env,
      cwd: elsewhere,
    });
    expect(download.stderr).toBe('');
    expect(download.code).toBe(0);

    const listed = await cairn(['token', 'list']);
    expect(listed.stdout.toString()).toMatch(/^ID +NAME +KIND +CREATED +EXPIRES +REVOKED +LAST USED$/m);
    expect(listed.stdout.toString()).toMatch(new RegExp(`^${id} +ci-release +robot +\\S+ +\\d{4}-`, 'm'));
    expect(listed.stdout.toString()).not.toContain(secret);

    const revoked = await cairn(['token', 'revoke', id]);
    expect(revoked.code).toBe(0);
    const refused = await cairn(['cas-backend', 'list'], { env, cwd: elsewhere });
    expect(refused.code).toBe(ExitCode.Failure);
    expectOneLineError(expect, refused.stderr, 'did not accept the API token from CAIRN_API_TOKEN');
    expect(refused.stderr).not.toContain(secret);
  });

  it('prints a CAS token from the control plane that the CAS takes over HTTP', async () => {
    const issued = await cairn(['cas-token', 'create', '--role', 'download', '--digest', digest, '--json']);
    expect(issued.code).toBe(0);
    const { token, backend } = JSON.parse(issued.stdout.toString()) as { token: string; backend: string };
    expect(backend).toBe('local');
    const response = await fetch(`${stack.cas.httpUrl}/v1/blobs/${digest}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

describe.concurrent('refusals around the control plane', () => {
  it('says what to do when the API token is not accepted, never echoing it', async ({ expect }) => {
    const bogus = `cairn_${randomBytes(32).toString('base64url')}`;
    const run = await cairn(['artifact', 'upload', '-f', 'sbom.json'], { env: { CAIRN_API_TOKEN: bogus } });
    expect(run.code).toBe(ExitCode.Failure);
    expect(run.stdout.toString()).toBe('');
    expectOneLineError(
      expect,
      run.stderr,
      `the control plane at ${stack.controlPlane.grpcAddress} did not accept the API token from CAIRN_API_TOKEN`,
    );
    expect(run.stderr).toContain('controlplane bootstrap --org');
    expect(run.stderr).not.toContain(bogus);
  });

  it('names commands, not RPCs, when a CAS token is refused', async ({ expect }) => {
    const run = await cairn([
      'artifact',
      'upload',
      '-f',
      'sbom.json',
      '--cas-token',
      'garbage',
      '--cas-address',
      stack.cas.grpcAddress,
    ]);
    expect(run.code).toBe(ExitCode.Failure);
    expectOneLineError(expect, run.stderr, 'the token came from --cas-token');
    expect(run.stderr).toContain('cairn cas-token create');
    expect(run.stderr).not.toMatch(/ask the control plane|Service\b/);
  });

  it('says where the address came from when the control plane cannot be reached (exit 4)', async ({
    expect,
  }) => {
    const run = await cairn(['cas-backend', 'list'], {
      env: { CAIRN_CONTROLPLANE_ADDRESS: '127.0.0.1:1', CAIRN_API_TOKEN: `cairn_${'a'.repeat(43)}` },
    });
    expect(run.code).toBe(ExitCode.Unavailable);
    expectOneLineError(
      expect,
      run.stderr,
      'cannot reach the control plane at 127.0.0.1:1 (connection refused)',
    );
    expect(run.stderr).toContain('(the address came from CAIRN_CONTROLPLANE_ADDRESS)');
  });

  it('never sends the API token of cli.json to another control plane', async ({ expect }) => {
    const run = await cairn(['cas-backend', 'list', '--controlplane-address', '127.0.0.1:1']);
    expect(run.code).toBe(ExitCode.Failure);
    expectOneLineError(expect, run.stderr, 'no API token for it is set; set CAIRN_API_TOKEN');
  });
});
