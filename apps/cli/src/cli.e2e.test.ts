import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startTamperingCas, startTestCas, type TestCas } from '@cairn/artifact-cas/testing';
import { generateSigningKey } from '@cairn/cas-token';
import { MALLOC_TUNABLES_SETTING } from '@cairn/malloc-tunables';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';
import { writeDevHome } from './testing/dev-home.js';
import { spawnCairn } from './testing/spawn-cairn.js';

const MiB = 1024 * 1024;

let cas: TestCas;
let project: string;
let bytes: Buffer;
let digest: string;

beforeAll(async () => {
  cas = await startTestCas();
  project = await mkdtemp(join(tmpdir(), 'cairn-cli-e2e-'));
  await writeDevHome(project, {
    cas: { grpc: cas.grpcAddress, http: cas.httpUrl },
    backend: cas.backend,
    keyFile: cas.keyFile,
    issuer: cas.issuer,
    audience: cas.audience,
  });
  bytes = randomBytes(6 * MiB + 99);
  digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(join(project, 'sbom.json'), bytes);
});

afterAll(async () => {
  await cas?.close();
  await rm(project, { recursive: true, force: true });
});

function expectOneLineError(expect: ExpectStatic, stderr: string, text: string): void {
  expect(stderr).toMatch(/^cairn: /);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toContain(text);
}

describe('cairn artifact upload, configured by .cairn/cli.json alone', () => {
  it('uploads a file and prints only its digest', async () => {
    const run = await spawnCairn(['artifact', 'upload', '-f', 'sbom.json'], { cwd: project });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe(`${digest}\n`);
  });

  it('reports an existing blob in --json output', async () => {
    const run = await spawnCairn(['artifact', 'upload', '-f', 'sbom.json', '--json'], { cwd: project });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toEqual({
      digest,
      size: bytes.length,
      existed: true,
      fileName: 'sbom.json',
    });
  });
});

describe('the malloc settings (glibc)', () => {
  it('are in effect in the process that moves the blobs, set by the command line itself', async () => {
    // A preload (NODE_OPTIONS, inherited by every node process the command starts) records each process.
    const folder = await mkdtemp(join(project, 'tunables-'));
    const record = join(folder, 'processes.jsonl');
    const preload = join(folder, 'record.mjs');
    await writeFile(
      preload,
      `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(record)}, JSON.stringify({ pid: process.pid, tunables: process.env.GLIBC_TUNABLES ?? null }) + '\\n');`,
    );
    const run = await spawnCairn(['artifact', 'download', '-d', digest, '--output', 'tunables-copy.json'], {
      cwd: project,
      env: {
        NODE_OPTIONS: `--import ${pathToFileURL(preload).href}`,
        GLIBC_TUNABLES: 'glibc.malloc.arena_max=1',
      },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((await readFile(join(project, 'tunables-copy.json'))).equals(bytes)).toBe(true);
    const runs = (await readFile(record, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { pid: number; tunables: string | null });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.tunables).toBe(MALLOC_TUNABLES_SETTING);
  });
});

// Each of these spawns its own `cairn`; they share only the blob uploaded above, so they run side by side.
describe.concurrent('cairn artifact download, configured by .cairn/cli.json alone', () => {
  it('downloads to a path, verified, and prints the path', async ({ expect }) => {
    const run = await spawnCairn(['artifact', 'download', '-d', digest, '--output', 'copy.json'], {
      cwd: project,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.toString()).toBe('copy.json\n');
    expect((await readFile(join(project, 'copy.json'))).equals(bytes)).toBe(true);
  });

  it('saves under the recorded file name when no --output is given, never over an existing file', async ({
    expect,
  }) => {
    const folder = await mkdtemp(join(project, 'default-name-'));
    const env = { CAIRN_HOME: join(project, '.cairn') };
    const first = await spawnCairn(['artifact', 'download', '-d', digest], { cwd: folder, env });
    expect(first.code).toBe(0);
    expect(first.stdout.toString()).toBe('sbom.json\n');
    expect((await readFile(join(folder, 'sbom.json'))).equals(bytes)).toBe(true);
    const second = await spawnCairn(['artifact', 'download', '-d', digest], { cwd: folder, env });
    expect(second.code).toBe(1);
    expectOneLineError(expect, second.stderr, 'sbom.json exists in this folder; pass --output');
  });

  it('streams to stdout with --output -', async ({ expect }) => {
    const run = await spawnCairn(['artifact', 'download', '-d', digest, '--output', '-'], { cwd: project });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.equals(bytes)).toBe(true);
  });

  it('fails, keeping nothing, when the bytes served do not match the digest', async ({ expect }) => {
    const tampering = await startTamperingCas(cas.grpcAddress, 2 * MiB);
    try {
      const toFile = await spawnCairn(
        [
          'artifact',
          'download',
          '-d',
          digest,
          '--output',
          'tampered.json',
          '--cas-address',
          tampering.address,
        ],
        { cwd: project },
      );
      expect(toFile.code).toBe(3);
      expect(toFile.stdout.toString()).toBe('');
      expectOneLineError(expect, toFile.stderr, 'tampered.json and report this to the CAS operator');
      expect((await readdir(project)).filter((name) => name.includes('tampered'))).toEqual([]);

      const toStdout = await spawnCairn(
        ['artifact', 'download', '-d', digest, '--output', '-', '--cas-address', tampering.address],
        { cwd: project },
      );
      expect(toStdout.code).toBe(3);
      expectOneLineError(expect, toStdout.stderr, 'discard what was written to the output');
    } finally {
      await tampering.close();
    }
  });

  it('ends quietly, exit 0, when the reader of --output - stops early (| head)', async ({ expect }) => {
    const run = await spawnCairn(['artifact', 'download', '-d', digest, '--output', '-'], {
      cwd: project,
      closeStdoutAfter: 64 * 1024,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('reports a blob the CAS does not hold', async ({ expect }) => {
    const missing = `sha256:${'0'.repeat(64)}`;
    const run = await spawnCairn(['artifact', 'download', '-d', missing, '-o', 'nothing.bin'], {
      cwd: project,
    });
    expect(run.code).toBe(1);
    expectOneLineError(expect, run.stderr, `blob ${missing} is not stored in this backend`);
    expect((await readdir(project)).includes('nothing.bin')).toBe(false);
  });
});

describe.concurrent('cairn tokens', () => {
  it('explains a refused --cas-token in one line and exits 1', async ({ expect }) => {
    const run = await spawnCairn(['artifact', 'upload', '-f', 'sbom.json', '--cas-token', 'garbage'], {
      cwd: project,
    });
    expect(run.code).toBe(1);
    expect(run.stdout.toString()).toBe('');
    expectOneLineError(expect, run.stderr, 'the token came from --cas-token');
    expect(run.stderr).not.toContain('garbage');
  });

  it('refuses a CAIRN_CAS_TOKEN signed by a key the CAS does not trust', async ({ expect }) => {
    const stranger = await generateSigningKey();
    const token = await cas.mint('upload', { key: stranger });
    const run = await spawnCairn(['artifact', 'upload', '-f', 'sbom.json'], {
      cwd: project,
      env: { CAIRN_CAS_TOKEN: token },
    });
    expect(run.code).toBe(1);
    expectOneLineError(expect, run.stderr, 'the token came from CAIRN_CAS_TOKEN');
    expect(run.stderr).not.toContain(token);
  });

  it('mints a token with `cairn dev token` that works from anywhere through CAIRN_CAS_TOKEN', async ({
    expect,
  }) => {
    const minted = await spawnCairn(['dev', 'token', '--role', 'download', '--digest', digest], {
      cwd: project,
    });
    expect(minted.code).toBe(0);
    const elsewhere = await mkdtemp(join(tmpdir(), 'cairn-cli-elsewhere-'));
    try {
      const run = await spawnCairn(['artifact', 'download', '-d', digest, '-o', 'got.json'], {
        cwd: elsewhere,
        env: { CAIRN_CAS_TOKEN: minted.stdout.toString().trim(), CAIRN_CAS_ADDRESS: cas.grpcAddress },
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect((await readFile(join(elsewhere, 'got.json'))).equals(bytes)).toBe(true);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('exits 2 on a usage error', async ({ expect }) => {
    const run = await spawnCairn(['artifact', 'upload', '--file'], { cwd: project });
    expect(run.code).toBe(2);
    expectOneLineError(expect, run.stderr, "option '-f, --file <file>' argument missing");
  });
});
