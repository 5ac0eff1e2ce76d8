import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAS_CONFIG_DEFAULTS, createCasConfig } from './config.js';
import { CAS_ENVIRONMENT, loadCasConfig } from './load-config.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-cas-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createCasConfig', () => {
  it('fills every default and needs only a key source', () => {
    const config = createCasConfig({ tokens: { keyFile: '/keys/jwks.json' } });
    expect(config).toEqual({
      ...CAS_CONFIG_DEFAULTS,
      tokens: { ...CAS_CONFIG_DEFAULTS.tokens, keyFile: '/keys/jwks.json' },
    });
    expect(config.grpc).toMatchObject({ host: '127.0.0.1', port: 9001 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8001, keepAliveTimeoutMs: 65_000 });
    expect(config.backends.credentialsTtlMs).toBe(30_000);
    expect(config.uploads.resumeWindowMs).toBe(600_000);
    expect(config.shutdownGraceMs).toBe(30_000);
  });

  it('is idempotent on a complete config', () => {
    const config = createCasConfig({ tokens: { jwksUrl: 'http://127.0.0.1:8000/.well-known/jwks.json' } });
    expect(createCasConfig(config)).toEqual(config);
  });

  it.each([
    [{}, /exactly one of jwksUrl, keyFile and jwks/],
    [{ tokens: { keyFile: 'a', jwksUrl: 'http://x' } }, /exactly one/],
    [{ tokens: { keyFile: 'a' }, grpc: { port: 70000 } }, /grpc\.port must be an integer from 0 to 65535/],
    [{ tokens: { keyFile: 'a' }, grpc: { prot: 1 } }, /grpc\.prot is not a CAS setting/],
    [{ tokens: { keyFile: 'a' }, colour: 'blue' }, /colour is not a CAS setting/],
    [{ tokens: { keyFile: 'a' }, log: { level: 'loud' } }, /log\.level must be one of/],
    [{ tokens: { keyFile: 'a' }, backends: { filesystemRoots: 'x' } }, /list of non-empty strings/],
  ])('refuses %j', (init, message) => {
    expect(() => createCasConfig(init)).toThrowError(message);
  });
});

describe('loadCasConfig', () => {
  it('reads --config, resolves paths beside the file, and applies environment overrides', async () => {
    const file = join(dir, 'cas.json');
    await writeFile(
      file,
      JSON.stringify({
        grpc: { port: 19001 },
        tokens: { keyFile: 'keys/jwks.json', issuer: 'cp' },
        backends: { filesystemRoots: ['blobs'] },
        secrets: { kind: 'file', directory: 'secrets', keyFile: 'secrets.key' },
      }),
    );
    const config = await loadCasConfig({
      file,
      cwd: '/',
      env: { CAIRN_CAS_HTTP_PORT: '18001', CAIRN_CAS_HOST: '0.0.0.0', CAIRN_CAS_RESUME_WINDOW_MS: '1000' },
    });
    expect(config.grpc).toMatchObject({ host: '0.0.0.0', port: 19001 });
    expect(config.http).toEqual({ host: '0.0.0.0', port: 18001, keepAliveTimeoutMs: 65_000 });
    expect(config.tokens).toEqual({
      issuer: 'cp',
      audience: 'cairn-artifact-cas',
      keyFile: join(dir, 'keys/jwks.json'),
      keyRefreshIntervalMs: 5_000,
    });
    expect(config.backends.filesystemRoots).toEqual([join(dir, 'blobs')]);
    expect(config.secrets).toEqual({
      kind: 'file',
      directory: join(dir, 'secrets'),
      keyFile: join(dir, 'secrets.key'),
    });
    expect(config.uploads.resumeWindowMs).toBe(1000);
  });

  it('takes the file from CAIRN_CAS_CONFIG, and a JWKS URL from the environment replaces the file key', async () => {
    const file = join(dir, 'other.json');
    await writeFile(file, JSON.stringify({ tokens: { keyFile: '/k.json' } }));
    const config = await loadCasConfig({
      env: {
        CAIRN_CAS_CONFIG: file,
        CAIRN_CAS_JWKS_URL: 'http://127.0.0.1:8000/.well-known/jwks.json',
        CAIRN_CAS_GRPC_PORT: '0',
      },
    });
    expect(config.tokens).toEqual({
      issuer: CAS_CONFIG_DEFAULTS.tokens.issuer,
      audience: CAS_CONFIG_DEFAULTS.tokens.audience,
      jwksUrl: 'http://127.0.0.1:8000/.well-known/jwks.json',
      keyRefreshIntervalMs: 5_000,
    });
    expect(config.grpc.port).toBe(0);
  });

  it('works from the environment alone', async () => {
    const config = await loadCasConfig({
      cwd: dir,
      env: {
        CAIRN_CAS_KEY_FILE: 'jwks.json',
        CAIRN_CAS_FILESYSTEM_ROOTS: `/a:b`,
        CAIRN_CAS_LOG_LEVEL: 'debug',
      },
    });
    expect(config.tokens.keyFile).toBe(join(dir, 'jwks.json'));
    expect(config.backends.filesystemRoots).toEqual(['/a', join(dir, 'b')]);
    expect(config.log.level).toBe('debug');
  });

  it('says what is wrong with a file or a variable without quoting secrets', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "secrets": { "token": "s3cr3t" ');
    const failure = loadCasConfig({ file, env: {} });
    await expect(failure).rejects.toThrowError(/is not valid JSON/);
    await expect(failure).rejects.not.toThrowError(/s3cr3t/);
    await expect(loadCasConfig({ file: join(dir, 'missing.json'), env: {} })).rejects.toThrowError(
      /cannot read the CAS config file.*ENOENT/,
    );
    await expect(
      loadCasConfig({ env: { CAIRN_CAS_KEY_FILE: '/k', CAIRN_CAS_GRPC_PORT: 'ninety' } }),
    ).rejects.toThrowError(/grpc\.port must be an integer/);
  });

  it('refuses a secrets key its kind does not take, and a secrets section without a kind', () => {
    const tokens = { keyFile: '/keys/jwks.json' };
    expect(() =>
      createCasConfig({ tokens, secrets: { kind: 'file', directory: '/s', keyfile: '/k' } }),
    ).toThrowError(
      /config key secrets\.keyfile is not a CAS setting \(secrets of kind file takes kind, directory, keyFile\)/,
    );
    expect(() =>
      createCasConfig({ tokens, secrets: { kind: 'vault', endpoint: 'https://v', timeoutMs: 5 } }),
    ).toThrowError(/secrets\.timeoutMs/);
    expect(() => createCasConfig({ tokens, secrets: { directory: '/s' } })).toThrowError(
      /secrets\.kind is required/,
    );
    const vault = { kind: 'vault', endpoint: 'https://v', caCertificateFile: '/ca.pem', requestTimeoutMs: 5 };
    expect(createCasConfig({ tokens, secrets: vault }).secrets).toEqual(vault);
  });

  it('resolves every file of a secrets section beside the config file, the CA certificate too', async () => {
    const file = join(dir, 'vault.json');
    await writeFile(
      file,
      JSON.stringify({
        tokens: { keyFile: '/k.json' },
        secrets: { kind: 'vault', endpoint: 'https://v', tokenFile: 'token', caCertificateFile: 'ca.pem' },
      }),
    );
    expect((await loadCasConfig({ file, env: {} })).secrets).toEqual({
      kind: 'vault',
      endpoint: 'https://v',
      tokenFile: join(dir, 'token'),
      caCertificateFile: join(dir, 'ca.pem'),
    });
  });

  it('names the file or the variable a refusal comes from', async () => {
    const file = join(dir, 'named.json');
    await writeFile(
      file,
      JSON.stringify({ tokens: { keyFile: '/k.json' }, uploads: { resumeWindowMs: null } }),
    );
    await expect(loadCasConfig({ file, env: {} })).rejects.toThrowError(
      `${file}: config key uploads.resumeWindowMs must be an integer from 0 to 86400000, not null (leave the key out for its default)`,
    );
    await expect(loadCasConfig({ file, env: { CAIRN_CAS_RESUME_WINDOW_MS: 'soon' } })).rejects.toThrowError(
      'CAIRN_CAS_RESUME_WINDOW_MS: config key uploads.resumeWindowMs must be an integer from 0 to 86400000',
    );
  });

  it('refuses a leftover age that would sweep uploads clients may still resume', async () => {
    const file = join(dir, 'sweep.json');
    await writeFile(
      file,
      JSON.stringify({ tokens: { keyFile: '/k.json' }, uploads: { resumeWindowMs: 600_000 } }),
    );
    await expect(loadCasConfig({ file, env: { CAIRN_CAS_LEFTOVER_AGE_MS: '600000' } })).rejects.toThrowError(
      /sweeper.leftoverAgeMs must be longer than uploads.resumeWindowMs/,
    );
    const config = await loadCasConfig({ file, env: { CAIRN_CAS_LEFTOVER_AGE_MS: '600001' } });
    expect(config.sweeper).toEqual({ leftoverAgeMs: 600_001, periodMs: 3_600_000, timeoutMs: 60_000 });
  });
});

describe('CAS_ENVIRONMENT', () => {
  it('lists every variable the CAS reads, for --help', () => {
    expect(Object.keys(CAS_ENVIRONMENT)).toEqual([
      'CAIRN_CAS_CONFIG',
      'CAIRN_CAS_HOST',
      'CAIRN_CAS_GRPC_PORT',
      'CAIRN_CAS_HTTP_PORT',
      'CAIRN_CAS_TOKEN_ISSUER',
      'CAIRN_CAS_TOKEN_AUDIENCE',
      'CAIRN_CAS_JWKS_URL',
      'CAIRN_CAS_KEY_FILE',
      'CAIRN_CAS_FILESYSTEM_ROOTS',
      'CAIRN_CAS_CREDENTIALS_TTL_MS',
      'CAIRN_CAS_BACKEND_CALL_TIMEOUT_MS',
      'CAIRN_CAS_WRITE_CHECK_TIMEOUT_MS',
      'CAIRN_CAS_RESUME_WINDOW_MS',
      'CAIRN_CAS_LEFTOVER_AGE_MS',
      'CAIRN_CAS_JOURNAL_DIR',
      'CAIRN_CAS_RELEASE_MEMORY_WHEN_IDLE_MS',
      'CAIRN_CAS_SHUTDOWN_GRACE_MS',
      'CAIRN_CAS_MAX_MESSAGE_BYTES',
      'CAIRN_CAS_LOG_LEVEL',
      'CAIRN_CAS_SECRETS',
      'CAIRN_CAS_VAULT_TOKEN',
    ]);
    expect(CAS_ENVIRONMENT.CAIRN_CAS_GRPC_PORT).toBe('grpc.port: port of the gRPC server');
  });
});
