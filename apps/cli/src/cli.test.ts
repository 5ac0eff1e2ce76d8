import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, VERSION } from './cli.js';
import { ExitCode } from './exit-codes.js';
import { capturedIo } from './testing/captured-io.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'cairn-cli-'));
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function run(args: string[], env: Record<string, string> = {}) {
  const io = capturedIo({ cwd, env });
  const code = await runCli(args, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const digest = `sha256:${'b'.repeat(64)}`;

describe('cairn help', () => {
  it('lists the command groups on --help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(ExitCode.Ok);
    for (const group of [
      'artifact',
      'attestation',
      'keys',
      'workflow',
      'cas-backend',
      'org',
      'token',
      'cas-token',
      'dev',
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${group}\\b`, 'm'));
    }
    expect(result.stderr).toBe('');
  });

  it('prints the version', async () => {
    const result = await run(['--version']);
    expect(result).toEqual({ code: ExitCode.Ok, stdout: `${VERSION}\n`, stderr: '' });
  });

  it.each([
    ['artifact', 'upload'],
    ['artifact', 'download'],
    ['cas-backend', 'list'],
    ['cas-backend', 'add', 'oci'],
    ['cas-backend', 'add', 'aws-s3'],
    ['cas-backend', 'add', 'azure-blob'],
    ['cas-backend', 'add', 'filesystem'],
    ['cas-backend', 'update'],
    ['cas-backend', 'delete'],
    ['cas-backend', 'revalidate'],
    ['org', 'create'],
    ['org', 'list'],
    ['token', 'create'],
    ['token', 'list'],
    ['token', 'revoke'],
    ['cas-token', 'create'],
    ['dev', 'token'],
    ['attestation', 'init'],
    ['attestation', 'add'],
    ['attestation', 'status'],
    ['attestation', 'push'],
    ['attestation', 'reset'],
    ['attestation', 'get'],
    ['attestation', 'verify'],
    ['keys', 'generate'],
    ['workflow', 'run', 'list'],
  ])('prints help for %s %s %s', async (...words) => {
    const path = words.filter((word) => typeof word === 'string').join(' ');
    const result = await run([...path.split(' '), '--help']);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain(`Usage: cairn ${path}`);
    expect(result.stdout).toContain('--output');
  });

  it('names each provider’s credential flags in its help, secrets only as file, stdin or environment', async () => {
    const s3 = (await run(['cas-backend', 'add', 'aws-s3', '--help'])).stdout;
    for (const option of [
      '--bucket',
      '--region',
      '--endpoint',
      '--access-key-id',
      '--secret-access-key-file',
    ]) {
      expect(s3).toContain(option);
    }
    expect(s3).toContain('--secret-access-key-stdin');
    expect(s3).toContain('$AWS_SECRET_ACCESS_KEY');
    expect(s3).not.toMatch(/--secret-access-key </);
    const azure = (await run(['cas-backend', 'add', 'azure-blob', '--help'])).stdout;
    for (const option of [
      '--storage-account',
      '--container',
      '--tenant-id',
      '--client-id',
      '--client-secret-file',
    ]) {
      expect(azure).toContain(option);
    }
    const oci = (await run(['cas-backend', 'add', 'oci', '--help'])).stdout;
    for (const option of ['--repo', '--username', '--password-file', '--password-stdin'])
      expect(oci).toContain(option);
    expect((await run(['cas-backend', 'add', 'filesystem', '--help'])).stdout).toContain('--path');
  });

  it('shows the 1 GiB default limit where --max-bytes is offered', async () => {
    const help = (await run(['cas-backend', 'add', 'filesystem', '--help'])).stdout;
    expect(help.replace(/\s+/g, ' ')).toContain(
      'largest blob it accepts, e.g. 100MB or 5GiB (default: "1GiB")',
    );
  });

  it('answers to the old `backend` group name too', async () => {
    const result = await run(['backend', 'list', '--help']);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('Usage: cairn cas-backend list');
  });
});

describe('cairn usage errors exit 2 with one line that points at help', () => {
  it.each([
    [['frobnicate'], "unknown command 'frobnicate'", 'cairn --help'],
    [['artifact', 'delete'], "unknown command 'delete'", 'cairn artifact --help'],
    [
      ['artifact', 'upload'],
      "required option '-f, --file <file>' not specified",
      'cairn artifact upload --help',
    ],
    [
      ['artifact', 'upload', '-f'],
      "option '-f, --file <file>' argument missing",
      'cairn artifact upload --help',
    ],
    [
      ['artifact', 'upload', '-f', 'x', '--bogus'],
      "unknown option '--bogus'",
      'cairn artifact upload --help',
    ],
    [['artifact', 'upload', '-f', 'x', 'extra'], 'too many arguments', 'cairn artifact upload --help'],
    [
      ['artifact', 'upload', '-f', 'x', '-o', 'yaml'],
      'Allowed choices are table, json',
      'cairn artifact upload --help',
    ],
    [
      ['artifact', 'download'],
      "required option '-d, --digest <sha256:hex>' not specified",
      'cairn artifact download --help',
    ],
    [['artifact', 'download', '-d', 'sha256:ABC'], 'is not a digest', 'cairn artifact download --help'],
    [
      ['artifact', 'download', '-d', digest, '--output', '-', '--json'],
      '--json cannot be used with --output -',
      'cairn artifact download --help',
    ],
    [['dev', 'token', '--role', 'admin'], 'Allowed choices are upload, download', 'cairn dev token --help'],
    [['dev', 'token', '--digest', digest], 'binds download tokens only', 'cairn dev token --help'],
    [['dev', 'token', '--ttl', 'soon'], 'is not a duration', 'cairn dev token --help'],
    [['dev', 'token', '--ttl', '48h'], 'at most 1 day', 'cairn dev token --help'],
    [
      ['cas-backend', 'add', 'oci', '--repo', 'r/x'],
      "required option '--name <name>' not specified",
      'cairn cas-backend add oci --help',
    ],
    [['cas-backend', 'add', 'ftp'], "unknown command 'ftp'", 'cairn cas-backend add --help'],
    [
      ['cas-backend', 'add', 'filesystem', '--name', 'a', '--path', '/x', '--default', '--fallback'],
      "option '--default' cannot be used with option '--fallback'",
      'cairn cas-backend add filesystem --help',
    ],
    [
      ['cas-backend', 'add', 'filesystem', '--name', 'a', '--path', '/x', '--max-bytes', 'lots'],
      '--max-bytes "lots" is not a size',
      'cairn cas-backend add filesystem --help',
    ],
    [
      ['cas-backend', 'add', 'aws-s3', '--name', 'a', '--bucket', 'b'],
      'aws-s3 backends need --region',
      'cairn cas-backend add aws-s3 --help',
    ],
    [['cas-backend', 'update'], "missing required argument 'name'", 'cairn cas-backend update --help'],
    [
      ['cas-backend', 'revalidate'],
      "missing required argument 'name'",
      'cairn cas-backend revalidate --help',
    ],
    [['token', 'create'], "required option '--name <name>' not specified", 'cairn token create --help'],
    [
      ['token', 'create', '--name', 'ci', '--expires', 'forever'],
      'is not a duration',
      'cairn token create --help',
    ],
    [['cas-token', 'create', '--role', 'download'], 'add --digest', 'cairn cas-token create --help'],
  ])('%j', async (args, message, help) => {
    const result = await run(args, { AWS_REGION: '', AWS_ACCESS_KEY_ID: '' });
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toMatch(new RegExp(`\\(see \`${help}\`\\)\\n$`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.code).toBe(ExitCode.Usage);
  });

  it('shows a group’s commands when one is called without a subcommand', async () => {
    const result = await run(['artifact']);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stderr).toContain('Usage: cairn artifact');
    expect(result.stderr).toContain('download');
  });
});

describe('cairn failures exit 1 with a message that says what to do', () => {
  it('asks for a token when none is configured', async () => {
    await writeFile(join(cwd, 'file.txt'), 'evidence');
    const result = await run(['artifact', 'upload', '-f', 'file.txt']);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toMatch(/^cairn: no CAS token: pass --cas-token or set CAIRN_CAS_TOKEN/);
  });

  it('reports a missing file before contacting the CAS, once, on stderr (also with --json)', async () => {
    const result = await run(['artifact', 'upload', '-f', 'missing.txt', '--cas-token', 't', '--json'], {});
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toBe('cairn: missing.txt does not exist; check the path given to --file\n');
    expect(result.stdout).toBe('');
  });

  it('says how to name a control plane when none is configured', async () => {
    const result = await run(['cas-backend', 'list']);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toContain('no control plane configured');
    expect(result.stderr).toContain('CAIRN_CONTROLPLANE_ADDRESS and CAIRN_API_TOKEN');
  });

  it('refuses a credentials file that is not a JSON object of strings, without quoting it', async () => {
    await writeFile(join(cwd, 'creds.json'), '["hunter2"]');
    const result = await run(
      ['cas-backend', 'add', 'oci', '--name', 'a', '--repo', 'r/x', '--credentials-file', 'creds.json'],
      { CAIRN_API_TOKEN: `cairn_${'a'.repeat(43)}`, CAIRN_CONTROLPLANE_ADDRESS: '127.0.0.1:1' },
    );
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toContain('creds.json must hold one JSON object of string fields');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('explains that dev token needs the folder `npm start` runs in', async () => {
    const result = await run(['dev', 'token']);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toContain('run `npm start` in this folder first');
  });
});
