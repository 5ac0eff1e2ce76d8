import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCasTokenVerifier } from '@cairn/cas-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { capturedIo } from '../testing/captured-io.js';
import { type DevHome, writeDevHome } from '../testing/dev-home.js';

let dir: string;
let devHome: DevHome;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-dev-token-'));
  devHome = await writeDevHome(dir, {
    backend: { id: 'b', provider: 'filesystem', location: join(dir, 'blobs') },
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cairn dev token', () => {
  it('prints a token for the role, digest and lifetime asked for', async () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const io = capturedIo({ cwd: join(dir) });
    const code = await runCli(
      ['dev', 'token', '--role', 'download', '--digest', digest, '--ttl', '2m', '--json'],
      io,
    );
    expect(io.stderrText()).toBe('');
    expect(code).toBe(0);
    const printed = JSON.parse(io.stdoutText()) as { token: string; expiresAt: string; role: string };
    expect(printed.role).toBe('download');
    const claims = await createCasTokenVerifier({
      issuer: devHome.dev.issuer,
      audience: devHome.dev.audience,
      keys: { kind: 'key-file', path: devHome.keyFile },
    }).verify(printed.token, { role: 'download', digest });
    expect(claims.exp - claims.iat).toBe(120);
    expect(new Date(printed.expiresAt).getTime()).toBe(claims.exp * 1000);
  });

  it('prints only the token without --json, for $(cairn dev token)', async () => {
    const io = capturedIo({ cwd: dir });
    expect(await runCli(['dev', 'token'], io)).toBe(0);
    expect(io.stdoutText()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });
});
