import { join } from 'node:path';
import { CAS_TOKEN_DEFAULTS } from '@cairn/cas-token';
import type { LogLevel } from '@cairn/observability';
import { secretStoreSettingsSchema } from '@cairn/secrets';
import {
  DAY_MS,
  defineConfig,
  environmentSummary,
  integerSetting,
  listenHost,
  listenPort,
  parseConfig,
  pathSetting,
} from '@cairn/service-runtime/config';
import { z } from 'zod';
import { DEFAULT_VALIDATION_SCHEDULE } from '../biz/index.js';

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
  readonly database: (
    | {
        readonly kind: 'postgres';
        readonly url: string;
        readonly maxConnections: number;
        /**
         * Longest wait for PostgreSQL: for a connection, and for each query's answer. Past it the
         * connection is dropped and the call gets UNAVAILABLE, so a hung server never hangs a caller.
         */
        readonly timeoutMs: number;
      }
    | { readonly kind: 'pglite'; readonly dataDir: string }
  ) & {
    /**
     * How long API tokens and each organisation's default and fallback backend are kept in memory. Changes
     * made through this process are seen at once; changes made through another replica (a revoked token,
     * a new default) only once the kept copy expires, so at most this long.
     */
    readonly cacheTtlMs: number;
  };
  readonly secrets: SecretsConfig;
  readonly tokens: {
    readonly issuer: string;
    readonly audience: string;
    readonly lifetimeSeconds: number;
    /** The first ES256 key of a deployment (private JWK, mode 0600); created on first start if missing. */
    readonly signingKeyFile: string;
    /** Keys of rotations made before the signing-key schedule: they verify and stay published. */
    readonly previousKeyFiles: readonly string[];
    readonly recordGraceSeconds: number;
    /** How often each control plane reads the signing-key schedule. */
    readonly keyRefreshMs: number;
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
    readonly failedIntervalMs: number;
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
    /** A run not pushed within this many seconds of its init expires. */
    readonly runLifetimeSeconds: number;
  };
  readonly shutdownGraceMs: number;
  readonly log: { readonly level: LogLevel };
}

const interval = (value: number, description: string) =>
  integerSetting(0, 30 * DAY_MS)
    .default(value)
    .describe(description);

/**
 * Every setting of the control plane as a file (or the environment) gives it, with its defaults; the
 * defaults that depend on `stateDir` are filled in by `createConfig`. docs/configuration.md is generated
 * from this schema.
 */
const CONTROL_PLANE_SCHEMA = z.strictObject({
  stateDir: pathSetting('where embedded state lives: PGlite data, file secrets, keys').default('.cairn'),
  grpc: z.strictObject({ host: listenHost, port: listenPort(9000, 'gRPC') }).prefault({}),
  http: z.strictObject({ host: listenHost, port: listenPort(8000, 'HTTP') }).prefault({}),
  database: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//)
        .meta({
          expects: 'a postgres:// URL',
          description: 'PostgreSQL URL; without it PGlite runs in pgliteDir',
        })
        .optional(),
      maxConnections: integerSetting(1, 1000).default(10).describe('size of the PostgreSQL connection pool'),
      timeoutMs: integerSetting(100, 600_000)
        .default(10_000)
        .describe(
          'longest wait for PostgreSQL, for a connection and for each query; past it the connection is dropped and the call gets UNAVAILABLE (a hung server never hangs a caller)',
        ),
      cacheTtlMs: integerSetting(0, 10_000)
        .default(2_000)
        .describe(
          "how long API tokens and organisations' default and fallback backends are kept in memory (0: not at all); changes made through this replica are seen at once, and on PostgreSQL other replicas are told within milliseconds (LISTEN/NOTIFY); only while a replica's listening connection is down can a token revoked elsewhere keep working there for up to this long",
        ),
      pgliteDir: pathSetting('folder of the embedded PGlite database (without url)')
        .meta({ defaultText: '<stateDir>/db' })
        .optional(),
    })
    .prefault({}),
  secrets: secretStoreSettingsSchema({
    defaultKind: 'file',
    fileDefaults: { directory: '<stateDir>/secrets', keyFile: '<stateDir>/secrets.key' },
  }).prefault({ kind: 'file' }),
  tokens: z
    .strictObject({
      issuer: z.string().default(CAS_TOKEN_DEFAULTS.issuer).describe('the `iss` of the CAS tokens it mints'),
      audience: z
        .string()
        .default(CAS_TOKEN_DEFAULTS.audience)
        .describe('the `aud` of the CAS tokens it mints'),
      lifetimeSeconds: integerSetting(1, 86_400)
        .default(CAS_TOKEN_DEFAULTS.lifetimeSeconds)
        .describe('how long a CAS token is valid'),
      signingKeyFile: pathSetting(
        'the first ES256 key of the deployment (private JWK, mode 0600), created on first start if missing; later keys come from `controlplane keys rotate`',
      )
        .meta({ defaultText: '<stateDir>/signing-key.json' })
        .optional(),
      previousKeyFiles: z
        .array(pathSetting('a retired signing key'))
        .default([])
        .describe(
          'keys of rotations made before `controlplane keys rotate` existed: they verify and stay published',
        ),
      recordGraceSeconds: integerSetting(0, 7 * 86_400)
        .default(86_400)
        .describe('how long after a token expires an upload made with it may still be recorded'),
      keyRefreshMs: integerSetting(100, 600_000)
        .default(5_000)
        .describe(
          "how often each control plane reads the signing-key schedule (a rotation's lead must be longer)",
        ),
    })
    .prefault({}),
  cas: z
    .strictObject({
      grpcAddress: z
        .string()
        .default('127.0.0.1:9001')
        .describe(
          'where the control plane reaches the CAS itself (host:port), to store bundles and confirm uploads',
        ),
      publicGrpcAddress: z
        .string()
        .meta({
          description: 'the CAS address handed to clients with their tokens',
          defaultText: 'cas.grpcAddress',
        })
        .optional(),
    })
    .prefault({}),
  validation: z
    .strictObject({
      timeoutMs: integerSetting(1, 600_000).default(30_000).describe('upper bound of one backend validation'),
      primaryIntervalMs: interval(
        DEFAULT_VALIDATION_SCHEDULE.primaryIntervalMs,
        'how often default and fallback backends are validated',
      ),
      failedIntervalMs: interval(
        DEFAULT_VALIDATION_SCHEDULE.failedIntervalMs,
        'how often failed backends are retried',
      ),
      allIntervalMs: interval(
        DEFAULT_VALIDATION_SCHEDULE.allIntervalMs,
        'how often every backend is validated',
      ),
      tickMs: integerSetting(10, DAY_MS)
        .default(DEFAULT_VALIDATION_SCHEDULE.tickMs)
        .describe('how often the scheduler looks for due validations'),
      batchSize: integerSetting(1, 10_000)
        .default(DEFAULT_VALIDATION_SCHEDULE.batchSize)
        .describe('backends validated per tick at most'),
    })
    .prefault({}),
  bootstrap: z
    .strictObject({
      organization: z
        .string()
        .describe(
          'a first organisation (and API token) created at start when missing; without it, no bootstrap',
        )
        .optional(),
      apiTokenFile: pathSetting(
        'where the first token is written once (mode 0600); absent: printed once on stdout',
      ).optional(),
    })
    .optional(),
  embedded: z
    .strictObject({
      organization: z.string().default('default').describe('the embedded default organisation'),
      blobsDir: pathSetting('folder of its filesystem backend'),
      cliConfigFile: pathSetting("the CLI's config file, where its API tokens are written"),
    })
    .describe('set only by the embedded start (npm start)')
    .optional(),
  attestations: z
    .strictObject({
      skipDbStorage: z
        .boolean()
        .default(false)
        .describe(
          'with a CAS backend, bundles go to the CAS synchronously and the database keeps only digests',
        ),
      casTimeoutMs: integerSetting(1_000, 600_000)
        .default(60_000)
        .describe('upper bound of a synchronous CAS upload (and of one background copy), retries included'),
      maxBundleBytes: integerSetting(1_024, 4_000_000)
        .default(2 * 1024 * 1024)
        .describe('largest attestation bundle accepted (a gRPC message carries it)'),
      runLifetimeSeconds: integerSetting(1, 30 * 86_400)
        .default(86_400)
        .describe('a run not pushed within this many seconds of its init expires'),
    })
    .prefault({}),
  shutdownGraceMs: integerSetting(0, 600_000)
    .default(10_000)
    .describe('how long running calls may go on after SIGTERM before they are cancelled'),
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('least severe level logged'),
    })
    .prefault({}),
});

/** The control plane's configuration: the schema above and the environment variables that override it. */
export const CONTROL_PLANE_CONFIG = defineConfig({
  service: 'control plane',
  schema: CONTROL_PLANE_SCHEMA,
  fileVariable: 'CAIRN_CONTROLPLANE_CONFIG',
  environment: {
    CAIRN_CONTROLPLANE_CONFIG: { description: 'path of a JSON config file (same as --config)' },
    CAIRN_STATE_DIR: { key: 'stateDir', description: 'where embedded state lives (default .cairn)' },
    CAIRN_CONTROLPLANE_HOST: { key: ['grpc.host', 'http.host'], description: 'interface both servers bind' },
    CAIRN_CONTROLPLANE_GRPC_PORT: { key: 'grpc.port', description: 'gRPC port (default 9000)' },
    CAIRN_CONTROLPLANE_HTTP_PORT: { key: 'http.port', description: 'HTTP port (default 8000)' },
    DATABASE_URL: {
      key: 'database.url',
      description: 'PostgreSQL URL; without it PGlite runs in <stateDir>/db',
    },
    CAIRN_SECRETS: { key: 'secrets', description: 'the whole secrets section as JSON' },
    CAIRN_SECRETS_KIND: { key: 'secrets.kind', description: 'file (default) or vault' },
    CAIRN_SECRETS_DIR: { key: 'secrets.directory', description: 'folder of the file store' },
    CAIRN_SECRETS_KEY_FILE: {
      key: 'secrets.keyFile',
      description: 'key of the file store (created if missing)',
    },
    CAIRN_SECRETS_VAULT_ADDR: { key: 'secrets.endpoint', description: 'Vault endpoint' },
    CAIRN_SECRETS_VAULT_TOKEN: {
      description: 'the Vault token, unless secrets.tokenFile names a file (read at start, never logged)',
    },
    CAIRN_SECRETS_VAULT_MOUNT: { key: 'secrets.mount', description: 'KV v2 mount (default secret)' },
    CAIRN_SECRETS_VAULT_PREFIX: {
      key: 'secrets.prefix',
      description: 'path under the mount (default cairn)',
    },
    CAIRN_SECRETS_VAULT_NAMESPACE: { key: 'secrets.namespace', description: 'Vault Enterprise namespace' },
    CAIRN_SIGNING_KEY_FILE: { key: 'tokens.signingKeyFile', description: 'the active signing key' },
    CAIRN_CAS_GRPC_ADDRESS: {
      key: 'cas.grpcAddress',
      description: 'where the control plane reaches the CAS (default 127.0.0.1:9001)',
    },
    CAIRN_CAS_PUBLIC_GRPC_ADDRESS: {
      key: 'cas.publicGrpcAddress',
      description: 'the CAS address given to clients (default cas.grpcAddress)',
    },
    CAIRN_BOOTSTRAP_ORGANIZATION: {
      key: 'bootstrap.organization',
      description: 'first organisation to create',
    },
    CAIRN_LOG_LEVEL: { key: 'log.level', description: 'debug, info, warn or error' },
    CAIRN_ATTESTATIONS_SKIP_DB_STORAGE: {
      key: 'attestations.skipDbStorage',
      description: 'true keeps bundles only in the CAS',
    },
    CAIRN_ATTESTATIONS_RUN_LIFETIME_SECONDS: {
      key: 'attestations.runLifetimeSeconds',
      description: 'runs not pushed within it expire (default 86400, 24 h)',
    },
  },
});

/** The settings as checked, before the defaults that depend on `stateDir` are filled in. */
export type ControlPlaneSettings = z.output<typeof CONTROL_PLANE_SCHEMA>;

/** Environment variables read by `createConfig`, with what each sets, for `--help` and the docs. */
export const CONTROL_PLANE_ENVIRONMENT: Readonly<Record<string, string>> =
  environmentSummary(CONTROL_PLANE_CONFIG);

/**
 * Builds a complete config from a parsed file (or `{}`) with environment overrides applied. Relative
 * paths resolve against `baseDir` (the config file's directory, else the working directory).
 */
export function createConfig(
  input: unknown,
  env: Readonly<Record<string, string | undefined>>,
  baseDir: string,
): ControlPlaneConfig {
  return completeConfig(parseConfig(CONTROL_PLANE_CONFIG, input, { env, baseDir }));
}

/** Fills the defaults that depend on `stateDir` and turns the database and secrets sections into their kinds. */
export function completeConfig(settings: ControlPlaneSettings): ControlPlaneConfig {
  const { stateDir, database, secrets, tokens, bootstrap, embedded } = settings;
  return {
    stateDir,
    grpc: settings.grpc,
    http: settings.http,
    database:
      database.url === undefined
        ? {
            kind: 'pglite',
            dataDir: database.pgliteDir ?? join(stateDir, 'db'),
            cacheTtlMs: database.cacheTtlMs,
          }
        : {
            kind: 'postgres',
            url: database.url,
            maxConnections: database.maxConnections,
            timeoutMs: database.timeoutMs,
            cacheTtlMs: database.cacheTtlMs,
          },
    secrets:
      secrets.kind === 'file'
        ? {
            kind: 'file',
            directory: secrets.directory ?? join(stateDir, 'secrets'),
            keyFile: secrets.keyFile ?? join(stateDir, 'secrets.key'),
          }
        : {
            kind: 'vault',
            endpoint: secrets.endpoint,
            ...(secrets.tokenFile === undefined ? {} : { tokenFile: secrets.tokenFile }),
            ...(secrets.caCertificateFile === undefined
              ? {}
              : { caCertificateFile: secrets.caCertificateFile }),
            ...(secrets.mount === undefined ? {} : { mount: secrets.mount }),
            ...(secrets.prefix === undefined ? {} : { prefix: secrets.prefix }),
            ...(secrets.namespace === undefined ? {} : { namespace: secrets.namespace }),
            ...(secrets.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: secrets.requestTimeoutMs }),
          },
    tokens: { ...tokens, signingKeyFile: tokens.signingKeyFile ?? join(stateDir, 'signing-key.json') },
    cas: { grpcAddress: settings.cas.grpcAddress, publicGrpcAddress: settings.cas.publicGrpcAddress },
    validation: settings.validation,
    ...(bootstrap?.organization === undefined
      ? {}
      : {
          bootstrap: {
            organization: bootstrap.organization,
            ...(bootstrap.apiTokenFile === undefined ? {} : { apiTokenFile: bootstrap.apiTokenFile }),
          },
        }),
    ...(embedded === undefined ? {} : { embedded }),
    attestations: settings.attestations,
    shutdownGraceMs: settings.shutdownGraceMs,
    log: settings.log,
  };
}
