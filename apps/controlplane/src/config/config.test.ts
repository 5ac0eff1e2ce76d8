import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_ENVIRONMENT, createConfig } from './config.js';

describe('control plane config', () => {
  it('defaults to the embedded setup: local ports, PGlite and file secrets under .cairn', () => {
    const config = createConfig({}, {}, '/work');
    expect(config.grpc).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(config.database).toEqual({ kind: 'pglite', dataDir: '/work/.cairn/db', cacheTtlMs: 2_000 });
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
      timeoutMs: 10_000,
      cacheTtlMs: 2_000,
    });
    expect(config.secrets).toEqual({ kind: 'vault', endpoint: 'https://vault.internal:8200', mount: 'kv' });
    expect(config.grpc.port).toBe(9100);
    expect(config.log.level).toBe('debug');
  });

  it('tells clients the CAS address they reach, which may differ from the one the control plane uses', () => {
    expect(createConfig({}, {}, '/work').cas).toEqual({
      grpcAddress: '127.0.0.1:9001',
      publicGrpcAddress: undefined,
    });
    expect(
      createConfig({ cas: { grpcAddress: 'cas:9001', publicGrpcAddress: '127.0.0.1:9001' } }, {}, '/work')
        .cas,
    ).toEqual({ grpcAddress: 'cas:9001', publicGrpcAddress: '127.0.0.1:9001' });
    expect(
      createConfig(
        { cas: { grpcAddress: 'cas:9001' } },
        { CAIRN_CAS_PUBLIC_GRPC_ADDRESS: 'cas.example.com:443' },
        '/work',
      ).cas.publicGrpcAddress,
    ).toBe('cas.example.com:443');
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

  it('expires unpushed runs after 24 h unless the file or the environment says otherwise', () => {
    expect(createConfig({}, {}, '/').attestations.runLifetimeSeconds).toBe(86_400);
    expect(createConfig({ attestations: { runLifetimeSeconds: 3600 } }, {}, '/').attestations).toMatchObject({
      runLifetimeSeconds: 3600,
    });
    const fromEnv = createConfig(
      { attestations: { runLifetimeSeconds: 3600 } },
      { CAIRN_ATTESTATIONS_RUN_LIFETIME_SECONDS: '120' },
      '/',
    );
    expect(fromEnv.attestations.runLifetimeSeconds).toBe(120);
    for (const bad of [0, 30 * 86_400 + 1, 'soon']) {
      expect(() => createConfig({ attestations: { runLifetimeSeconds: bad } }, {}, '/')).toThrow(
        /attestations\.runLifetimeSeconds/,
      );
    }
  });

  it('refuses a misspelt key inside a section instead of leaving the setting at its default', () => {
    expect(() => createConfig({ grpc: { prot: 9100 } }, {}, '/')).toThrow(
      /grpc\.prot is not a control plane setting \(grpc takes host, port\)/,
    );
    expect(() => createConfig({ database: { uri: 'postgres://db/cairn' } }, {}, '/')).toThrow(
      /database\.uri/,
    );
    expect(() => createConfig({ tokens: { lifetime: 60 } }, {}, '/')).toThrow(/tokens\.lifetime/);
    expect(() => createConfig({ attestations: { skipDBStorage: true } }, {}, '/')).toThrow(
      /attestations\.skipDBStorage/,
    );
    // The keys a secrets section takes depend on its kind.
    expect(() => createConfig({ secrets: { kind: 'file', endpoint: 'https://v' } }, {}, '/')).toThrow(
      /config key secrets\.endpoint is not a control plane setting \(secrets of kind file takes kind, directory, keyFile\)/,
    );
    expect(() =>
      createConfig({ secrets: { kind: 'vault', endpoint: 'https://v', tokenfile: '/t' } }, {}, '/'),
    ).toThrow(/secrets\.tokenfile/);
    // The environment may switch the kind; the file's section of the other kind is then unused, not wrong.
    const switched = createConfig(
      { secrets: { kind: 'file', directory: '/s' } },
      { CAIRN_SECRETS_KIND: 'vault', CAIRN_SECRETS_VAULT_ADDR: 'https://v' },
      '/',
    );
    expect(switched.secrets).toEqual({ kind: 'vault', endpoint: 'https://v' });
  });

  it('takes a CA certificate file for a Vault behind a private CA, resolved beside the config file', () => {
    const config = createConfig(
      { secrets: { kind: 'vault', endpoint: 'https://vault:8200', caCertificateFile: 'vault-ca.pem' } },
      {},
      '/etc/cairn',
    );
    expect(config.secrets).toEqual({
      kind: 'vault',
      endpoint: 'https://vault:8200',
      caCertificateFile: '/etc/cairn/vault-ca.pem',
    });
  });

  it('refuses null and empty values in the file, and takes a variable set to "" as unset', () => {
    expect(() => createConfig({ cas: { publicGrpcAddress: null } }, {}, '/etc/cairn')).toThrow(
      'the control plane config: config key cas.publicGrpcAddress must be a non-empty string, not null (leave the key out for its default)',
    );
    expect(() => createConfig({ grpc: { host: '' } }, {}, '/')).toThrow(
      /config key grpc\.host must be a non-empty string$/,
    );
    const config = createConfig(
      { grpc: { port: 9100 } },
      { CAIRN_CONTROLPLANE_GRPC_PORT: '', DATABASE_URL: '' },
      '/',
    );
    expect(config.grpc.port).toBe(9100);
    expect(config.database.kind).toBe('pglite');
  });

  it('names the variable a refused value came from', () => {
    expect(() => createConfig({}, { DATABASE_URL: 'mysql://db' }, '/')).toThrow(
      'DATABASE_URL: config key database.url must be a postgres:// URL',
    );
    expect(() => createConfig({}, { CAIRN_ATTESTATIONS_SKIP_DB_STORAGE: 'maybe' }, '/')).toThrow(
      'CAIRN_ATTESTATIONS_SKIP_DB_STORAGE: config key attestations.skipDbStorage must be true or false (or 1 or 0)',
    );
  });

  it('lists every variable it reads, for --help', () => {
    expect(Object.keys(CONTROL_PLANE_ENVIRONMENT)).toEqual([
      'CAIRN_CONTROLPLANE_CONFIG',
      'CAIRN_STATE_DIR',
      'CAIRN_CONTROLPLANE_HOST',
      'CAIRN_CONTROLPLANE_GRPC_PORT',
      'CAIRN_CONTROLPLANE_HTTP_PORT',
      'DATABASE_URL',
      'CAIRN_SECRETS',
      'CAIRN_SECRETS_KIND',
      'CAIRN_SECRETS_DIR',
      'CAIRN_SECRETS_KEY_FILE',
      'CAIRN_SECRETS_VAULT_ADDR',
      'CAIRN_SECRETS_VAULT_TOKEN',
      'CAIRN_SECRETS_VAULT_MOUNT',
      'CAIRN_SECRETS_VAULT_PREFIX',
      'CAIRN_SECRETS_VAULT_NAMESPACE',
      'CAIRN_SIGNING_KEY_FILE',
      'CAIRN_CAS_GRPC_ADDRESS',
      'CAIRN_CAS_PUBLIC_GRPC_ADDRESS',
      'CAIRN_BOOTSTRAP_ORGANIZATION',
      'CAIRN_LOG_LEVEL',
      'CAIRN_ATTESTATIONS_SKIP_DB_STORAGE',
      'CAIRN_ATTESTATIONS_RUN_LIFETIME_SECONDS',
    ]);
  });
});
