import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCasTokenVerifier } from '@cairn/cas-token';
import { Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCliConfig } from '../cli-config.js';
import { type DevHome, writeDevHome } from '../testing/dev-home.js';
import { ControlPlaneTokenSource } from './controlplane-source.js';
import { DevKeyTokenSource } from './dev-key-source.js';
import { resolveTokenSource } from './resolve-token-source.js';

let dir: string;
let devHome: DevHome;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-cli-tokens-'));
  devHome = await writeDevHome(dir, {
    backend: { id: 'b', provider: 'filesystem', location: join(dir, 'blobs') },
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveTokenSource', () => {
  it('prefers --cas-token, then CAIRN_CAS_TOKEN, then the dev key', async () => {
    const config = await loadCliConfig(dir, {});
    const request = { role: 'upload' } as const;
    const fromFlag = resolveTokenSource({ flag: 'flag', env: { CAIRN_CAS_TOKEN: 'env' }, config });
    expect([fromFlag.origin, await fromFlag.token(request)]).toEqual(['--cas-token', 'flag']);
    const fromEnv = resolveTokenSource({ flag: undefined, env: { CAIRN_CAS_TOKEN: 'env' }, config });
    expect([fromEnv.origin, await fromEnv.token(request)]).toEqual(['CAIRN_CAS_TOKEN', 'env']);
    expect(resolveTokenSource({ flag: '', env: { CAIRN_CAS_TOKEN: '' }, config })).toBeInstanceOf(
      DevKeyTokenSource,
    );
  });

  it('asks the control plane before minting with the dev key, and names it as the origin', async () => {
    const config = await loadCliConfig(dir, {});
    const env = { CAIRN_API_TOKEN: `cairn_${'a'.repeat(43)}`, CAIRN_CONTROLPLANE_ADDRESS: '127.0.0.1:9100' };
    const source = resolveTokenSource({ flag: undefined, env, config });
    try {
      expect(source).toBeInstanceOf(ControlPlaneTokenSource);
      expect(source.origin).toBe('the control plane at 127.0.0.1:9100');
    } finally {
      source.close?.();
    }
    const flagged = resolveTokenSource({ flag: 'flag', env, config });
    expect(flagged.origin).toBe('--cas-token');
  });

  it('says where a token could come from when there is none', () => {
    expect(() => resolveTokenSource({ flag: undefined, env: {}, config: undefined })).toThrow(
      expect.objectContaining({ code: Code.Unauthenticated }),
    );
  });
});

describe('DevKeyTokenSource', () => {
  it('mints tokens the CAS verifies, bound to the digest when asked', async () => {
    const config = await loadCliConfig(dir, {});
    const source = resolveTokenSource({ flag: undefined, env: {}, config });
    const digest = `sha256:${'c'.repeat(64)}`;
    const token = await source.token({ role: 'download', digest });
    const verifier = createCasTokenVerifier({
      issuer: devHome.dev.issuer,
      audience: devHome.dev.audience,
      keys: { kind: 'key-file', path: devHome.keyFile },
    });
    const claims = await verifier.verify(token, { role: 'download', digest });
    expect(claims).toMatchObject({ org: 'org-dev', role: 'download', digest, backend: devHome.dev.backend });
  });

  it('refuses to invent a key the CAS would not trust', async () => {
    const config = await loadCliConfig(dir, {});
    if (config?.config.dev === undefined) throw new Error('no dev config');
    const source = new DevKeyTokenSource({
      home: config.home,
      config: { dev: { ...config.config.dev, signingKeyFile: join(dir, 'absent.json') } },
    });
    await expect(source.token({ role: 'upload' })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('run `npm start` once'),
    });
  });
});
