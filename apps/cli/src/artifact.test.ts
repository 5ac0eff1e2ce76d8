import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestCas, type TestCas } from '@cairn/artifact-cas/testing';
import { createCasClient } from '@cairn/cas-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { capturedIo } from './testing/captured-io.js';
import { writeDevHome } from './testing/dev-home.js';

// The artifact commands run in-process against a real CAS: the details that need no separate process.
let cas: TestCas;
let project: string;

beforeAll(async () => {
  cas = await startTestCas();
  project = await mkdtemp(join(cas.workDir, 'project-'));
  await writeDevHome(project, {
    cas: { grpc: cas.grpcAddress },
    backend: cas.backend,
    keyFile: cas.keyFile,
    issuer: cas.issuer,
    audience: cas.audience,
  });
});

afterAll(async () => {
  // Removes the project folder too: it lives in the CAS's work dir.
  await cas?.close();
});

async function run(args: string[]) {
  const io = capturedIo({ cwd: project });
  const code = await runCli(args, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

describe('cairn artifact in-process', () => {
  it('records --name and --media-type with the blob and downloads into a folder under that name', async () => {
    const bytes = randomBytes(300_000);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    await writeFile(join(project, 'report.xml'), bytes);
    const upload = await run([
      'artifact',
      'upload',
      '-f',
      'report.xml',
      '--name',
      'junit.xml',
      '--media-type',
      'application/xml',
    ]);
    expect(upload).toEqual({ code: 0, stdout: `${digest}\n`, stderr: '' });

    const client = createCasClient({
      address: cas.grpcAddress,
      token: () => cas.mint('download', { digest }),
    });
    try {
      expect(await client.describe(digest)).toMatchObject({
        fileName: 'junit.xml',
        mediaType: 'application/xml',
      });
    } finally {
      client.close();
    }

    await mkdir(join(project, 'out'));
    const download = await run(['artifact', 'download', '-d', digest, '-o', 'out', '--json']);
    expect(download.code).toBe(0);
    expect(JSON.parse(download.stdout)).toEqual({
      digest,
      size: bytes.length,
      bytes: bytes.length,
      verified: true,
      path: join(project, 'out', 'junit.xml'),
    });
    expect((await readFile(join(project, 'out', 'junit.xml'))).equals(bytes)).toBe(true);
  });

  it('prints an error once, on stderr, with --json too', async () => {
    const missing = `sha256:${'e'.repeat(64)}`;
    const result = await run(['artifact', 'download', '-d', missing, '-o', 'x.bin', '--json']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^cairn: blob sha256:e{64} is not stored[^\n]*\n$/);
  });

  it('says how to reach the CAS when nothing listens at the address', async () => {
    const result = await run(['artifact', 'upload', '-f', 'report.xml', '--cas-address', '127.0.0.1:1']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      'cannot reach the CAS at 127.0.0.1:1 (connection refused); check that it runs',
    );
  });
});
