import { describe, expect, it } from 'vitest';
import { createConfig } from './config.js';

describe('control plane config', () => {
  it('defaults to the embedded setup: local ports, PGlite and file secrets under .cairn', () => {
    const config = createConfig({}, {}, '/work');
    expect(config.grpc).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/work/.cairn/db' });
    expect(config.secrets).toEqual({
      kind: 'file',
      directory: '/work/.cairn/secrets',
      keyFile: '/work/.cairn/secrets.key',
    });
    expect(config.tokens.signingKeyFile).toBe('/work/.cairn/signing-key.json');
    expect(config.validation).toMatchObject({ primaryIntervalMs: 30 * 60_000, allIntervalMs: 24 * 3600_000 });
  });

  it('switches to PostgreSQL and Vault through the environment', () => {
    const config = createConfig(
      { secrets: { kind: 'file' } },
      {
        DATABASE_URL: 'postgres://cairn@db:5432/cairn',
        CAIRN_SECRETS_KIND: 'vault',
        CAIRN_SECRETS_VAULT_ADDR: 'https://vault.internal:8200',
        CAIRN_SECRETS_VAULT_MOUNT: 'kv',
        CAIRN_CONTROLPLANE_GRPC_PORT: '9100',
        CAIRN_LOG_LEVEL: 'debug',
      },
      '/work',
    );
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgres://cairn@db:5432/cairn',
      maxConnections: 10,
    });
    expect(config.secrets).toEqual({ kind: 'vault', endpoint: 'https://vault.internal:8200', mount: 'kv' });
    expect(config.grpc.port).toBe(9100);
    expect(config.log.level).toBe('debug');
  });

  it('resolves paths against the config file directory and refuses unknown or malformed settings', () => {
    const config = createConfig(
      { stateDir: 'state', validation: { primaryIntervalMs: 100, tickMs: 10 } },
      {},
      '/etc/cairn',
    );
    expect(config.stateDir).toBe('/etc/cairn/state');
    expect(config.validation.primaryIntervalMs).toBe(100);
    expect(() => createConfig({ grcp: {} }, {}, '/')).toThrow(/grcp is not a control plane setting/);
    expect(() => createConfig({ grpc: { port: 'x' } }, {}, '/')).toThrow(/grpc.port/);
    expect(() => createConfig({}, { DATABASE_URL: 'mysql://x' }, '/')).toThrow(/postgres/);
    expect(() => createConfig({ secrets: { kind: 'vault' } }, {}, '/')).toThrow(/endpoint/);
  });
});
