import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
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
  it('lists the commands on --help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('artifact upload');
    expect(result.stdout).toContain('artifact download');
    expect(result.stdout).toContain('dev token');
    expect(result.stdout).toContain('backend list');
    expect(result.stdout).toContain('token create');
    expect(result.stderr).toBe('');
  });

  it.each([
    ['artifact', 'upload'],
    ['artifact', 'download'],
    ['backend', 'list'],
    ['backend', 'add'],
    ['backend', 'set-default'],
    ['backend', 'set-fallback'],
    ['backend', 'revalidate'],
    ['token', 'create'],
    ['dev', 'token'],
  ])('prints help for %s %s', async (group, name) => {
    const result = await run([group, name, '--help']);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain(`Usage: cairn ${group} ${name}`);
    expect(result.stdout).toContain('--json');
  });

  it('lists a group’s subcommands', async () => {
    const result = await run(['artifact', '--help']);
    expect(result.code).toBe(ExitCode.Ok);
    expect(result.stdout).toContain('artifact download');
  });
});

describe('cairn usage errors exit 2 with one line that points at help', () => {
  it.each([
    [[], 'no command given'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['artifact'], 'needs a subcommand'],
    [['artifact', 'delete'], 'has no subcommand "delete"'],
    [['--json', 'artifact', 'upload'], 'options go after it'],
    [['artifact', 'upload'], 'needs --file'],
    [['artifact', 'upload', '-f'], 'option --file needs a value'],
    [['artifact', 'upload', '-f', 'x', '--bogus'], 'unknown option --bogus'],
    [['artifact', 'download', '-d', '-o', 'x'], 'option --digest needs a value'],
    [['artifact', 'upload', '-f', 'x', '--json=yes'], 'option --json takes no value'],
    [['artifact', 'upload', '-f', 'x', 'extra'], 'unexpected argument "extra"'],
    [['artifact', 'download'], 'needs --digest'],
    [['artifact', 'download', '-d', 'sha256:ABC'], 'is not a digest'],
    [
      ['artifact', 'download', '-d', digest, '--output', '-', '--json'],
      '--json cannot be used with --output -',
    ],
    [['dev', 'token', '--role', 'admin'], '--role must be upload or download'],
    [['dev', 'token', '--digest', digest], 'binds download tokens only'],
    [['dev', 'token', '--ttl', 'soon'], 'is not a duration'],
    [['dev', 'token', '--ttl', '48h'], 'at most 24h'],
    [['backend', 'add', '--provider', 'oci', '--location', 'r/x'], 'needs --name'],
    [
      ['backend', 'add', '--name', 'a', '--provider', 'oci', '--location', 'r/x', '--default', '--fallback'],
      'never both',
    ],
    [
      ['backend', 'add', '--name', 'a', '--provider', 'oci', '--location', 'r/x', '--max-bytes', '1e6'],
      'not a whole number',
    ],
    [['backend', 'set-default'], 'needs --name'],
    [['backend', 'revalidate', '--name'], 'option --name needs a value'],
    [['token', 'create'], 'needs --name'],
    [['token', 'create', '--name', 'ci', '--expires', 'forever'], 'is not a duration'],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(ExitCode.Usage);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toMatch(/--help`\)\n$/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('cairn failures exit 1 with a message that says what to do', () => {
  it('asks for a token when none is configured', async () => {
    const result = await run(['artifact', 'upload', '-f', 'file.txt']);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toMatch(/^cairn: no CAS token: pass --cas-token or set CAIRN_CAS_TOKEN/);
  });

  it('reports a missing file before contacting the CAS', async () => {
    const result = await run(['artifact', 'upload', '-f', 'missing.txt', '--cas-token', 't', '--json'], {});
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toContain('missing.txt does not exist; check the path');
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'NOT_FOUND', message: expect.stringContaining('does not exist') },
    });
  });

  it('says how to name a control plane when none is configured', async () => {
    const result = await run(['backend', 'list']);
    expect(result.code).toBe(ExitCode.Failure);
    expect(result.stderr).toContain('no control plane configured');
    expect(result.stderr).toContain('CAIRN_CONTROLPLANE_ADDRESS and CAIRN_API_TOKEN');
  });

  it('refuses a credentials file that is not a JSON object of strings, without quoting it', async () => {
    await writeFile(join(cwd, 'creds.json'), '["hunter2"]');
    const result = await run(
      [
        'backend',
        'add',
        '--name',
        'a',
        '--provider',
        'oci',
        '--location',
        'r/x',
        '--credentials-file',
        'creds.json',
      ],
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
