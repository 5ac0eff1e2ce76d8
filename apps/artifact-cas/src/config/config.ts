import { delimiter } from 'node:path';
import { CAS_TOKEN_DEFAULTS, KEY_SOURCE_DEFAULTS } from '@cairn/cas-token';
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

const MiB = 1024 * 1024;
const MAX_WINDOW = 2 ** 31 - 1;

/**
 * Every setting of one artifact CAS, with its default: a config file names only what differs. The
 * settings are checked and merged once (`createCasConfig`, `loadCasConfig`); the rest of the code reads a
 * complete, valid value. docs/configuration.md is generated from this schema.
 */
const casSettings = z.strictObject({
  grpc: z
    .strictObject({
      host: listenHost,
      port: listenPort(9001, 'gRPC'),
      maxMessageBytes: integerSetting(64 * 1024, 1024 * MiB)
        .default(4 * MiB)
        .describe('largest gRPC message accepted or sent; Write chunks of ~1 MiB fit with room to spare'),
      connectionWindowBytes: integerSetting(65_535, MAX_WINDOW)
        .default(256 * MiB)
        .describe("HTTP/2 receive window of a server session's connection"),
      streamWindowBytes: integerSetting(65_535, MAX_WINDOW)
        .default(16 * MiB)
        .describe("HTTP/2 receive window of a server session's streams"),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: listenHost,
      port: listenPort(8001, 'HTTP'),
      keepAliveTimeoutMs: integerSetting(1000, 3_600_000)
        .default(65_000)
        .describe(
          "how long an idle HTTP connection stays open; longer than clients and balancers keep theirs (node 5 s, HAProxy's http-keep-alive, cloud balancers 60 s), so a client never sends on a connection the CAS is closing",
        ),
    })
    .prefault({}),
  tokens: z
    .strictObject({
      issuer: z.string().default(CAS_TOKEN_DEFAULTS.issuer).describe('the `iss` a CAS token must carry'),
      audience: z.string().default(CAS_TOKEN_DEFAULTS.audience).describe('the `aud` a CAS token must carry'),
      jwksUrl: z
        .string()
        .describe("the control plane's JWKS URL; exactly one of jwksUrl, keyFile and jwks is set")
        .optional(),
      keyFile: pathSetting(
        'a file with a JWKS or a public (or private) JWK, re-read when a token names an unknown key',
      ).optional(),
      keyRefreshIntervalMs: integerSetting(100, 3_600_000)
        .default(KEY_SOURCE_DEFAULTS.minRefreshIntervalMs)
        .describe(
          'least time between two reads of the JWKS URL or key file for tokens naming a key the CAS does not hold, so made-up keys cost one read per interval; also how soon a rotated key is picked up after a failed read',
        ),
      jwks: z
        .custom<object>((value) => typeof value === 'object' && value !== null && !Array.isArray(value))
        .meta({
          expects: 'an object (a JWKS)',
          description: 'a JWKS given in process (tests, an embedding control plane)',
        })
        .optional(),
    })
    .prefault({}),
  secrets: secretStoreSettingsSchema()
    .describe(
      'where backend credentials are; absent: only backends whose tokens name no secret can be served',
    )
    .optional(),
  backends: z
    .strictObject({
      filesystemRoots: z
        .array(pathSetting('a folder filesystem backends may live under'))
        .default([])
        .describe(
          'folders under which filesystem backends may live; a token naming a location outside all of them is refused even though it is signed; empty: no filesystem backend is served',
        ),
      credentialsTtlMs: integerSetting(0, DAY_MS)
        .default(30_000)
        .describe(
          'how long resolved backend credentials and drivers are reused before the secret store is asked again',
        ),
      callTimeoutMs: integerSetting(100, 600_000)
        .default(60_000)
        .describe(
          'longest one step of a transfer (a lookup, a chunk stored or read, a commit) waits for the storage server before the call fails with UNAVAILABLE',
        ),
      writeCheckTimeoutMs: integerSetting(100, 600_000)
        .default(20_000)
        .describe(
          'upper bound of one write check (BackendService.CheckWriteAccess), secret-store read included',
        ),
    })
    .prefault({}),
  uploads: z
    .strictObject({
      resumeWindowMs: integerSetting(0, DAY_MS)
        .default(10 * 60_000)
        .describe(
          'how long an interrupted Write is kept in this CAS so the client can resume it (QueryWriteStatus); then it is aborted, except an S3, Azure or OCI upload of several parts, which is left to its checkpoint for any replica (and to the sweeper after sweeper.leftoverAgeMs)',
        ),
      maxOpenSessions: integerSetting(1, 1_000_000)
        .default(1024)
        .describe('interrupted or running uploads kept at once; more is RESOURCE_EXHAUSTED'),
    })
    .prefault({}),
  sweeper: z
    .strictObject({
      leftoverAgeMs: integerSetting(1000, 30 * DAY_MS)
        .default(DAY_MS)
        .describe(
          "what unfinished uploads left on a backend (staging files, multipart uploads, uncommitted blocks, journaled registry upload sessions, write probes) is removed once idle this long; it must exceed uploads.resumeWindowMs and any upload's length, as a younger leftover may be another replica's live upload",
        ),
      periodMs: integerSetting(100, 30 * DAY_MS)
        .default(60 * 60_000)
        .describe(
          'each backend is swept at most once per period, in the background, when a call uses it (the first use after a start sweeps at once)',
        ),
      timeoutMs: integerSetting(1000, DAY_MS)
        .default(60_000)
        .describe('upper bound of one sweep of one backend; what it did not reach waits for the next'),
      journalDir: pathSetting(
        "a folder where the CAS notes each OCI upload session while it is open, so a sweep after a crash can cancel those it left (a registry lists none); absent: they wait for the registry's own purge (distribution: storage.maintenance.uploadpurging)",
      ).optional(),
    })
    .prefault({}),
  reads: z
    .strictObject({
      chunkBytes: integerSetting(1024, 64 * MiB)
        .default(MiB)
        .describe('bytes per Read response message'),
    })
    .prefault({}),
  findMissingMaxDigests: integerSetting(1, 100_000)
    .default(1000)
    .describe('most digests one FindMissing call may ask about'),
  memory: z
    .strictObject({
      releaseWhenIdleMs: integerSetting(0, DAY_MS)
        .default(2000)
        .describe(
          "once no call has run for this long, the free memory glibc's heap keeps after a burst is given back to the kernel (malloc_trim); 0: never",
        ),
    })
    .prefault({}),
  shutdownGraceMs: integerSetting(0, DAY_MS)
    .default(30_000)
    .describe('how long in-flight streams may run on after SIGTERM before they are cancelled'),
  log: z
    .strictObject({
      level: z.enum(['debug', 'info', 'warn', 'error']).default('info').describe('least severe level logged'),
    })
    .prefault({}),
});

const CAS_CONFIG_SCHEMA = casSettings.superRefine((config, context) => {
  if (config.sweeper.leftoverAgeMs <= config.uploads.resumeWindowMs) {
    context.addIssue({
      code: 'custom',
      path: ['sweeper', 'leftoverAgeMs'],
      message:
        'must be longer than uploads.resumeWindowMs, or the sweep would remove uploads clients may still resume',
    });
  }
  const { jwksUrl, keyFile, jwks } = config.tokens;
  if ([jwksUrl, keyFile, jwks].filter((source) => source !== undefined).length !== 1) {
    context.addIssue({
      code: 'custom',
      path: ['tokens'],
      message: 'must name exactly one of jwksUrl, keyFile and jwks (the keys that sign CAS tokens)',
    });
  }
});

/** The CAS's configuration: the schema above and the environment variables that override single settings. */
export const CAS_CONFIG = defineConfig({
  service: 'CAS',
  schema: CAS_CONFIG_SCHEMA,
  fileVariable: 'CAIRN_CAS_CONFIG',
  environment: {
    CAIRN_CAS_CONFIG: { description: 'path of a JSON config file (same as --config)' },
    CAIRN_CAS_HOST: { key: ['grpc.host', 'http.host'], description: 'interface both servers bind' },
    CAIRN_CAS_GRPC_PORT: { key: 'grpc.port', description: 'port of the gRPC server' },
    CAIRN_CAS_HTTP_PORT: { key: 'http.port', description: 'port of the HTTP server' },
    CAIRN_CAS_TOKEN_ISSUER: { key: 'tokens.issuer', description: 'issuer CAS tokens must name' },
    CAIRN_CAS_TOKEN_AUDIENCE: { key: 'tokens.audience', description: 'audience CAS tokens must name' },
    CAIRN_CAS_JWKS_URL: {
      key: 'tokens.jwksUrl',
      replaces: ['tokens.keyFile', 'tokens.jwks'],
      description: "the control plane's JWKS URL (replaces a keyFile from the file)",
    },
    CAIRN_CAS_KEY_FILE: {
      key: 'tokens.keyFile',
      replaces: ['tokens.jwksUrl', 'tokens.jwks'],
      relativeTo: 'working-directory',
      description: 'a JWKS or JWK file, relative to the working directory (replaces a jwksUrl from the file)',
    },
    CAIRN_CAS_FILESYSTEM_ROOTS: {
      key: 'backends.filesystemRoots',
      separator: delimiter,
      relativeTo: 'working-directory',
      description: `folders separated by "${delimiter}", relative to the working directory`,
    },
    CAIRN_CAS_CREDENTIALS_TTL_MS: { key: 'backends.credentialsTtlMs', description: 'credentials reuse, ms' },
    CAIRN_CAS_BACKEND_CALL_TIMEOUT_MS: {
      key: 'backends.callTimeoutMs',
      description: 'bound of one step of a backend transfer, ms',
    },
    CAIRN_CAS_WRITE_CHECK_TIMEOUT_MS: {
      key: 'backends.writeCheckTimeoutMs',
      description: 'bound of one write check, ms',
    },
    CAIRN_CAS_RESUME_WINDOW_MS: { key: 'uploads.resumeWindowMs', description: 'resumable upload window, ms' },
    CAIRN_CAS_LEFTOVER_AGE_MS: {
      key: 'sweeper.leftoverAgeMs',
      description: 'idle time after which leftovers of unfinished uploads are removed, ms',
    },
    CAIRN_CAS_JOURNAL_DIR: {
      key: 'sweeper.journalDir',
      relativeTo: 'working-directory',
      description: 'folder noting open OCI upload sessions, relative to the working directory',
    },
    CAIRN_CAS_RELEASE_MEMORY_WHEN_IDLE_MS: {
      key: 'memory.releaseWhenIdleMs',
      description: 'idle time after which free memory goes back to the kernel, ms (0: never)',
    },
    CAIRN_CAS_SHUTDOWN_GRACE_MS: { key: 'shutdownGraceMs', description: 'drain time after SIGTERM, ms' },
    CAIRN_CAS_MAX_MESSAGE_BYTES: { key: 'grpc.maxMessageBytes', description: 'largest gRPC message' },
    CAIRN_CAS_LOG_LEVEL: { key: 'log.level', description: 'debug, info, warn or error' },
    CAIRN_CAS_SECRETS: {
      key: 'secrets',
      description:
        'the whole secrets section as JSON, e.g. {"kind":"file","directory":"...","keyFile":"..."}',
    },
    CAIRN_CAS_VAULT_TOKEN: {
      description: 'the Vault token, unless secrets.tokenFile names a file (read at start, never logged)',
    },
  },
});

type DeepReadonly<T> = T extends (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The whole configuration of one artifact CAS, complete and checked. */
export type CasConfig = DeepReadonly<z.output<typeof CAS_CONFIG_SCHEMA>>;

/** A config as written in a file or passed in process: any subset of `CasConfig`. */
export type CasConfigInit = z.input<typeof CAS_CONFIG_SCHEMA>;

/** Every default (no key source: a config must name one). */
export const CAS_CONFIG_DEFAULTS: CasConfig = casSettings.parse({});

/** The variables that override single settings, with what each sets (`--help` lists them). */
export const CAS_ENVIRONMENT: Readonly<Record<string, string>> = environmentSummary(CAS_CONFIG);

/**
 * Merges `init` over the defaults and checks every value. Relative paths are resolved against `baseDir`
 * (the config file's directory), so a config file can name files beside it.
 */
export function createCasConfig(init: unknown = {}, baseDir = process.cwd()): CasConfig {
  return parseConfig(CAS_CONFIG, init, { baseDir });
}
