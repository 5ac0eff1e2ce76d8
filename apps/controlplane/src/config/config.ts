import { isAbsolute, join, resolve } from 'node:path';
import { CAS_TOKEN_DEFAULTS } from '@cairn/cas-token';
import type { LogLevel } from '@cairn/observability';
import { SECRET_STORE_SETTINGS } from '@cairn/secrets';
import { DEFAULT_VALIDATION_SCHEDULE } from '../biz/index.js';
import {
  booleanAt,
  type ConfigObject,
  configError,
  integerAt,
  objectAt,
  oneOf,
  sectionAt,
  stringAt,
  stringListAt,
} from './config-reader.js';

export type SecretsConfig =
  | { readonly kind: 'file'; readonly directory: string; readonly keyFile: string }
  | {
      readonly kind: 'vault';
      readonly endpoint: string;
      /** A file holding the Vault token; else $CAIRN_SECRETS_VAULT_TOKEN (read at start, never logged). */
      readonly tokenFile?: string;
      readonly mount?: string;
      readonly prefix?: string;
      readonly namespace?: string;
      readonly requestTimeoutMs?: number;
      /** PEM file of the CA that signed Vault's certificate, when it is not a public one. */
      readonly caCertificateFile?: string;
    };

/** The whole configuration of one control plane; every field has a default (`loadConfig` fills them). */
export interface ControlPlaneConfig {
  /** Where embedded state lives (PGlite data, file secrets, keys): `.cairn` in the working directory. */
  readonly stateDir: string;
  readonly grpc: { readonly host: string; readonly port: number };
  readonly http: { readonly host: string; readonly port: number };
  readonly database:
    | { readonly kind: 'postgres'; readonly url: string; readonly maxConnections: number }
    | { readonly kind: 'pglite'; readonly dataDir: string };
  readonly secrets: SecretsConfig;
  readonly tokens: {
    readonly issuer: string;
    readonly audience: string;
    readonly lifetimeSeconds: number;
    /** The active ES256 key (private JWK, mode 0600); created on first start if missing. */
    readonly signingKeyFile: string;
    /** Retired keys that still verify and stay published during a rotation's overlap. */
    readonly previousKeyFiles: readonly string[];
    readonly recordGraceSeconds: number;
  };
  /** The artifact CAS (`host:port`): as the control plane reaches it, and as clients are told to. */
  readonly cas: {
    /** Where the control plane reaches the CAS itself (to store bundles and confirm uploads). */
    readonly grpcAddress: string;
    /** The CAS address handed to clients with their tokens; undefined: the same as `grpcAddress`. */
    readonly publicGrpcAddress: string | undefined;
  };
  readonly validation: {
    readonly timeoutMs: number;
    readonly primaryIntervalMs: number;
    readonly allIntervalMs: number;
    readonly tickMs: number;
    readonly batchSize: number;
  };
  /** A first organisation (and API token) created at start when missing: the way into a fresh deployment. */
  readonly bootstrap?: {
    readonly organization: string;
    /** Where the first token is written once (mode 0600); absent: printed once on stdout. */
    readonly apiTokenFile?: string;
  };
  /** Set only by the embedded start (`npm start`): the first organisation and the CLI's config file. */
  readonly embedded?: {
    readonly organization: string;
    readonly blobsDir: string;
    readonly cliConfigFile: string;
  };
  readonly attestations: {
    /** With a CAS backend, bundles go to the CAS synchronously and the database keeps only digests. */
    readonly skipDbStorage: boolean;
    /** Upper bound of a synchronous CAS upload (and of one background copy), retries included. */
    readonly casTimeoutMs: number;
    /** Largest attestation bundle accepted (a gRPC message carries it: at most 4,000,000). */
    readonly maxBundleBytes: number;
  };
  readonly shutdownGraceMs: number;
  readonly log: { readonly level: LogLevel };
}

const DAY_MS = 24 * 3600_000;

/**
 * Builds a complete config from a parsed file (or `{}`) with environment overrides applied. Relative
 * paths resolve against `baseDir` (the config file's directory, else the working directory).
 */
export function createConfig(
  input: unknown,
  env: Readonly<Record<string, string | undefined>>,
  baseDir: string,
): ControlPlaneConfig {
  const root = objectAt(input, 'the config file') ?? {};
  const known = new Set([
    'stateDir',
    'grpc',
    'http',
    'database',
    'secrets',
    'tokens',
    'cas',
    'validation',
    'bootstrap',
    'attestations',
    'embedded',
    'shutdownGraceMs',
    'log',
  ]);
  for (const key of Object.keys(root))
    if (!known.has(key)) throw configError(key, 'is not a control plane setting');
  const get = (name: string) => (env[name] === '' ? undefined : env[name]);
  const path = (value: string) => (isAbsolute(value) ? value : resolve(baseDir, value));

  const stateDir = path(get('CAIRN_STATE_DIR') ?? stringAt(root.stateDir, 'stateDir') ?? '.cairn');
  const grpc = sectionAt(root.grpc, 'grpc', ['host', 'port']) ?? {};
  const http = sectionAt(root.http, 'http', ['host', 'port']) ?? {};
  const host = get('CAIRN_CONTROLPLANE_HOST');
  const tokens =
    sectionAt(root.tokens, 'tokens', [
      'issuer',
      'audience',
      'lifetimeSeconds',
      'signingKeyFile',
      'previousKeyFiles',
      'recordGraceSeconds',
    ]) ?? {};
  const validation =
    sectionAt(root.validation, 'validation', [
      'timeoutMs',
      'primaryIntervalMs',
      'allIntervalMs',
      'tickMs',
      'batchSize',
    ]) ?? {};
  const cas = sectionAt(root.cas, 'cas', ['grpcAddress', 'publicGrpcAddress']) ?? {};
  const log = sectionAt(root.log, 'log', ['level']) ?? {};
  const attestations =
    sectionAt(root.attestations, 'attestations', ['skipDbStorage', 'casTimeoutMs', 'maxBundleBytes']) ?? {};

  const config: ControlPlaneConfig = {
    stateDir,
    grpc: {
      host: host ?? stringAt(grpc.host, 'grpc.host') ?? '127.0.0.1',
      port: integerAt(get('CAIRN_CONTROLPLANE_GRPC_PORT') ?? grpc.port, 'grpc.port', 0, 65535) ?? 9000,
    },
    http: {
      host: host ?? stringAt(http.host, 'http.host') ?? '127.0.0.1',
      port: integerAt(get('CAIRN_CONTROLPLANE_HTTP_PORT') ?? http.port, 'http.port', 0, 65535) ?? 8000,
    },
    database: databaseConfig(
      sectionAt(root.database, 'database', ['url', 'maxConnections', 'pgliteDir']) ?? {},
      get('DATABASE_URL'),
      stateDir,
      path,
    ),
    secrets: secretsConfig(objectAt(root.secrets, 'secrets'), env, stateDir, path),
    tokens: {
      issuer: stringAt(tokens.issuer, 'tokens.issuer') ?? CAS_TOKEN_DEFAULTS.issuer,
      audience: stringAt(tokens.audience, 'tokens.audience') ?? CAS_TOKEN_DEFAULTS.audience,
      lifetimeSeconds:
        integerAt(tokens.lifetimeSeconds, 'tokens.lifetimeSeconds', 1, 86_400) ??
        CAS_TOKEN_DEFAULTS.lifetimeSeconds,
      signingKeyFile: path(
        get('CAIRN_SIGNING_KEY_FILE') ??
          stringAt(tokens.signingKeyFile, 'tokens.signingKeyFile') ??
          join(stateDir, 'signing-key.json'),
      ),
      previousKeyFiles: (stringListAt(tokens.previousKeyFiles, 'tokens.previousKeyFiles') ?? []).map(path),
      recordGraceSeconds:
        integerAt(tokens.recordGraceSeconds, 'tokens.recordGraceSeconds', 0, 7 * 86_400) ?? 86_400,
    },
    cas: {
      grpcAddress:
        get('CAIRN_CAS_GRPC_ADDRESS') ?? stringAt(cas.grpcAddress, 'cas.grpcAddress') ?? '127.0.0.1:9001',
      publicGrpcAddress:
        get('CAIRN_CAS_PUBLIC_GRPC_ADDRESS') ?? stringAt(cas.publicGrpcAddress, 'cas.publicGrpcAddress'),
    },
    validation: {
      timeoutMs: integerAt(validation.timeoutMs, 'validation.timeoutMs', 1, 600_000) ?? 30_000,
      primaryIntervalMs:
        integerAt(validation.primaryIntervalMs, 'validation.primaryIntervalMs', 0, 30 * DAY_MS) ??
        DEFAULT_VALIDATION_SCHEDULE.primaryIntervalMs,
      allIntervalMs:
        integerAt(validation.allIntervalMs, 'validation.allIntervalMs', 0, 30 * DAY_MS) ??
        DEFAULT_VALIDATION_SCHEDULE.allIntervalMs,
      tickMs:
        integerAt(validation.tickMs, 'validation.tickMs', 10, DAY_MS) ?? DEFAULT_VALIDATION_SCHEDULE.tickMs,
      batchSize:
        integerAt(validation.batchSize, 'validation.batchSize', 1, 10_000) ??
        DEFAULT_VALIDATION_SCHEDULE.batchSize,
    },
    ...bootstrapConfig(
      sectionAt(root.bootstrap, 'bootstrap', ['organization', 'apiTokenFile']),
      get('CAIRN_BOOTSTRAP_ORGANIZATION'),
      path,
    ),
    ...embeddedConfig(
      sectionAt(root.embedded, 'embedded', ['organization', 'blobsDir', 'cliConfigFile']),
      path,
    ),
    attestations: {
      skipDbStorage:
        booleanAt(
          get('CAIRN_ATTESTATIONS_SKIP_DB_STORAGE') ?? attestations.skipDbStorage,
          'attestations.skipDbStorage',
        ) ?? false,
      casTimeoutMs:
        integerAt(attestations.casTimeoutMs, 'attestations.casTimeoutMs', 1_000, 600_000) ?? 60_000,
      maxBundleBytes:
        integerAt(attestations.maxBundleBytes, 'attestations.maxBundleBytes', 1_024, 4_000_000) ??
        2 * 1024 * 1024,
    },
    shutdownGraceMs: integerAt(root.shutdownGraceMs, 'shutdownGraceMs', 0, 600_000) ?? 10_000,
    log: {
      level:
        oneOf(get('CAIRN_LOG_LEVEL') ?? log.level, 'log.level', [
          'debug',
          'info',
          'warn',
          'error',
        ] as const) ?? 'info',
    },
  };
  return config;
}

function databaseConfig(
  section: ConfigObject,
  databaseUrl: string | undefined,
  stateDir: string,
  path: (value: string) => string,
): ControlPlaneConfig['database'] {
  const url = databaseUrl ?? stringAt(section.url, 'database.url');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw configError('database.url (DATABASE_URL)', 'must be a postgres:// URL');
    return {
      kind: 'postgres',
      url,
      maxConnections: integerAt(section.maxConnections, 'database.maxConnections', 1, 1000) ?? 10,
    };
  }
  const dataDir = stringAt(section.pgliteDir, 'database.pgliteDir');
  return { kind: 'pglite', dataDir: dataDir ? path(dataDir) : join(stateDir, 'db') };
}

function secretsConfig(
  section: ConfigObject | undefined,
  env: Readonly<Record<string, string | undefined>>,
  stateDir: string,
  path: (value: string) => string,
): SecretsConfig {
  const get = (name: string) => (env[name] === '' ? undefined : env[name]);
  const fromJson = get('CAIRN_SECRETS');
  let settings: ConfigObject = section ?? {};
  if (fromJson) {
    try {
      settings = objectAt(JSON.parse(fromJson), 'CAIRN_SECRETS') ?? {};
    } catch {
      throw configError('CAIRN_SECRETS', 'must be the secrets section as JSON');
    }
  }
  const kind =
    oneOf(get('CAIRN_SECRETS_KIND') ?? settings.kind, 'secrets.kind', ['file', 'vault'] as const) ?? 'file';
  // Keys are checked against the kind the section itself names: the environment may switch the kind and
  // leave a file's section of the other kind unused, which is not a mistake in the file.
  const sectionKind = oneOf(settings.kind, 'secrets.kind', ['file', 'vault'] as const) ?? 'file';
  sectionAt(settings, 'secrets', SECRET_STORE_SETTINGS[sectionKind]);
  if (kind === 'file') {
    return {
      kind,
      directory: path(
        get('CAIRN_SECRETS_DIR') ??
          stringAt(settings.directory, 'secrets.directory') ??
          join(stateDir, 'secrets'),
      ),
      keyFile: path(
        get('CAIRN_SECRETS_KEY_FILE') ??
          stringAt(settings.keyFile, 'secrets.keyFile') ??
          join(stateDir, 'secrets.key'),
      ),
    };
  }
  const endpoint = get('CAIRN_SECRETS_VAULT_ADDR') ?? stringAt(settings.endpoint, 'secrets.endpoint');
  if (!endpoint)
    throw configError('secrets.endpoint (CAIRN_SECRETS_VAULT_ADDR)', 'is required for a Vault secret store');
  const optional = (name: string, key: string) => get(name) ?? stringAt(settings[key], `secrets.${key}`);
  const tokenFile = stringAt(settings.tokenFile, 'secrets.tokenFile');
  const caCertificateFile = stringAt(settings.caCertificateFile, 'secrets.caCertificateFile');
  const mount = optional('CAIRN_SECRETS_VAULT_MOUNT', 'mount');
  const prefix = optional('CAIRN_SECRETS_VAULT_PREFIX', 'prefix');
  const namespace = optional('CAIRN_SECRETS_VAULT_NAMESPACE', 'namespace');
  const timeout = integerAt(settings.requestTimeoutMs, 'secrets.requestTimeoutMs', 1, 600_000);
  return {
    kind,
    endpoint,
    ...(tokenFile ? { tokenFile: path(tokenFile) } : {}),
    ...(caCertificateFile ? { caCertificateFile: path(caCertificateFile) } : {}),
    ...(mount === undefined ? {} : { mount }),
    ...(prefix === undefined ? {} : { prefix }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(timeout === undefined ? {} : { requestTimeoutMs: timeout }),
  };
}

function bootstrapConfig(
  section: ConfigObject | undefined,
  organizationFromEnv: string | undefined,
  path: (value: string) => string,
): { bootstrap?: NonNullable<ControlPlaneConfig['bootstrap']> } {
  const organization = organizationFromEnv ?? stringAt(section?.organization, 'bootstrap.organization');
  if (!organization) return {};
  const tokenFile = stringAt(section?.apiTokenFile, 'bootstrap.apiTokenFile');
  return { bootstrap: { organization, ...(tokenFile ? { apiTokenFile: path(tokenFile) } : {}) } };
}

function embeddedConfig(
  section: ConfigObject | undefined,
  path: (value: string) => string,
): { embedded?: NonNullable<ControlPlaneConfig['embedded']> } {
  if (!section) return {};
  const organization = stringAt(section.organization, 'embedded.organization') ?? 'default';
  const blobsDir = stringAt(section.blobsDir, 'embedded.blobsDir');
  const cliConfigFile = stringAt(section.cliConfigFile, 'embedded.cliConfigFile');
  if (!blobsDir || !cliConfigFile) throw configError('embedded', 'needs blobsDir and cliConfigFile');
  return { embedded: { organization, blobsDir: path(blobsDir), cliConfigFile: path(cliConfigFile) } };
}

/** Environment variables read by `createConfig`, for `--help` and the docs. */
export const CONTROL_PLANE_ENVIRONMENT: Readonly<Record<string, string>> = {
  CAIRN_CONTROLPLANE_CONFIG: 'path of a JSON config file (same as --config)',
  CAIRN_STATE_DIR: 'stateDir (default .cairn)',
  CAIRN_CONTROLPLANE_HOST: 'interface both servers bind (grpc.host and http.host)',
  CAIRN_CONTROLPLANE_GRPC_PORT: 'grpc.port (default 9000)',
  CAIRN_CONTROLPLANE_HTTP_PORT: 'http.port (default 8000)',
  DATABASE_URL: 'PostgreSQL URL (database.url); without it PGlite runs in <stateDir>/db',
  CAIRN_SECRETS: 'the whole secrets section as JSON',
  CAIRN_SECRETS_KIND: 'secrets.kind: file (default) or vault',
  CAIRN_SECRETS_DIR: 'secrets.directory of the file store',
  CAIRN_SECRETS_KEY_FILE: 'secrets.keyFile of the file store (created if missing)',
  CAIRN_SECRETS_VAULT_ADDR: 'secrets.endpoint of Vault',
  CAIRN_SECRETS_VAULT_TOKEN: 'the Vault token (unless secrets.tokenFile names a file)',
  CAIRN_SECRETS_VAULT_MOUNT: 'secrets.mount (KV v2 mount, default secret)',
  CAIRN_SECRETS_VAULT_PREFIX: 'secrets.prefix (default cairn)',
  CAIRN_SECRETS_VAULT_NAMESPACE: 'secrets.namespace',
  CAIRN_SIGNING_KEY_FILE: 'tokens.signingKeyFile',
  CAIRN_CAS_GRPC_ADDRESS: 'cas.grpcAddress, where the control plane reaches the CAS (default 127.0.0.1:9001)',
  CAIRN_CAS_PUBLIC_GRPC_ADDRESS:
    'cas.publicGrpcAddress, the CAS address given to clients (default cas.grpcAddress)',
  CAIRN_BOOTSTRAP_ORGANIZATION: 'bootstrap.organization',
  CAIRN_LOG_LEVEL: 'log.level',
  CAIRN_ATTESTATIONS_SKIP_DB_STORAGE: 'attestations.skipDbStorage: true keeps bundles only in the CAS',
};
