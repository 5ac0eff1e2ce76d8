import { isAbsolute, resolve } from 'node:path';
import { CAS_TOKEN_DEFAULTS } from '@cairn/cas-token';
import type { LogLevel } from '@cairn/observability';
import { SECRET_STORE_SETTINGS } from '@cairn/secrets';
import {
  type ConfigObject,
  configError,
  integerAt,
  objectAt,
  oneOf,
  stringAt,
  stringListAt,
} from './config-input.js';

const MiB = 1024 * 1024;

/** Where the secret store holding backend credentials is; handed to `createSecretStore` of @cairn/secrets. */
export type SecretStoreSettings = ConfigObject & { readonly kind: string };

/**
 * The whole configuration of one artifact CAS. Every field has a default (see `CAS_CONFIG_DEFAULTS`), so a
 * config file names only what differs; `createCasConfig` merges and checks once, and the rest of the code
 * reads a complete, valid value.
 */
export interface CasConfig {
  readonly grpc: {
    /** Interface to bind; 127.0.0.1 unless a deployment says otherwise. */
    readonly host: string;
    /** 0 picks a free port (tests). */
    readonly port: number;
    /** Largest gRPC message accepted or sent; Write chunks of ~1 MiB fit with room to spare. */
    readonly maxMessageBytes: number;
    /** HTTP/2 receive windows of the server's sessions (see server/grpc/flow-control.ts). */
    readonly connectionWindowBytes: number;
    readonly streamWindowBytes: number;
  };
  readonly http: { readonly host: string; readonly port: number };
  readonly tokens: {
    readonly issuer: string;
    readonly audience: string;
    /** The control plane's JWKS; exactly one of jwksUrl, keyFile and jwks is set. */
    readonly jwksUrl?: string;
    /** A file with a JWKS or a public (or private) JWK, re-read when a token names an unknown key. */
    readonly keyFile?: string;
    /** A JWKS object given in process (tests, an embedding control plane). */
    readonly jwks?: unknown;
  };
  /** Absent: only backends whose tokens name no secret (an empty `secret` claim) can be served. */
  readonly secrets?: SecretStoreSettings;
  readonly backends: {
    /**
     * Directories under which filesystem backends may live. A token naming a filesystem location outside
     * all of them is refused (PERMISSION_DENIED) even though it is signed: defence in depth against a
     * control plane tricked into minting one. Empty: no filesystem backend is served.
     */
    readonly filesystemRoots: readonly string[];
    /** How long resolved backend credentials and drivers are reused before the secret store is asked again. */
    readonly credentialsTtlMs: number;
  };
  readonly uploads: {
    /** How long the server keeps an interrupted Write so the client can resume it (QueryWriteStatus). */
    readonly resumeWindowMs: number;
    /** Interrupted or running uploads kept at once; more is RESOURCE_EXHAUSTED. */
    readonly maxOpenSessions: number;
  };
  readonly reads: {
    /** Bytes per Read response message. */
    readonly chunkBytes: number;
  };
  /** Most digests one FindMissing call may ask about. */
  readonly findMissingMaxDigests: number;
  /** How long in-flight streams may run on after SIGTERM before they are cancelled. */
  readonly shutdownGraceMs: number;
  readonly log: { readonly level: LogLevel };
}

export const CAS_CONFIG_DEFAULTS: CasConfig = {
  grpc: {
    host: '127.0.0.1',
    port: 9001,
    maxMessageBytes: 4 * MiB,
    connectionWindowBytes: 256 * MiB,
    streamWindowBytes: 16 * MiB,
  },
  http: { host: '127.0.0.1', port: 8001 },
  tokens: { issuer: CAS_TOKEN_DEFAULTS.issuer, audience: CAS_TOKEN_DEFAULTS.audience },
  backends: { filesystemRoots: [], credentialsTtlMs: 30_000 },
  uploads: { resumeWindowMs: 10 * 60_000, maxOpenSessions: 1024 },
  reads: { chunkBytes: MiB },
  findMissingMaxDigests: 1000,
  shutdownGraceMs: 30_000,
  log: { level: 'info' },
};

/** A config as written in a file or passed in process: any subset of `CasConfig`. */
export type CasConfigInit = {
  readonly [K in keyof CasConfig]?: CasConfig[K] extends readonly unknown[]
    ? CasConfig[K]
    : CasConfig[K] extends object
      ? Partial<CasConfig[K]>
      : CasConfig[K];
};

const MAX_WINDOW = 2 ** 31 - 1;
const DAY_MS = 24 * 3600_000;

/**
 * Merges `init` over the defaults and checks every value. Relative paths are resolved against `baseDir`
 * (the config file's directory), so a config file can name files beside it.
 */
export function createCasConfig(init: unknown = {}, baseDir = process.cwd()): CasConfig {
  const root = objectAt(init, 'the config') ?? {};
  const known = new Set(Object.keys(CAS_CONFIG_DEFAULTS).concat('secrets'));
  for (const key of Object.keys(root)) if (!known.has(key)) throw configError(key, 'is not a CAS setting');
  const d = CAS_CONFIG_DEFAULTS;
  const path = (value: string) =>
    isAbsolute(value) || value.includes('://') ? value : resolve(baseDir, value);

  const grpc = section(root, 'grpc', d.grpc);
  const http = section(root, 'http', d.http);
  const tokens = section(root, 'tokens', d.tokens);
  const backends = section(root, 'backends', d.backends);
  const uploads = section(root, 'uploads', d.uploads);
  const reads = section(root, 'reads', d.reads);
  const log = section(root, 'log', d.log);

  const jwksUrl = stringAt(tokens.jwksUrl, 'tokens.jwksUrl');
  const keyFile = stringAt(tokens.keyFile, 'tokens.keyFile');
  const jwks = tokens.jwks === undefined ? undefined : objectAt(tokens.jwks, 'tokens.jwks');
  const keySources = [jwksUrl, keyFile, jwks].filter((source) => source !== undefined).length;
  if (keySources !== 1) {
    throw configError(
      'tokens',
      'must name exactly one of jwksUrl, keyFile and jwks (the keys that sign CAS tokens)',
    );
  }
  const secrets = objectAt(root.secrets, 'secrets');
  if (secrets !== undefined) checkSecretsKeys(secrets);

  return {
    grpc: {
      host: stringAt(grpc.host, 'grpc.host') ?? d.grpc.host,
      port: integerAt(grpc.port, 'grpc.port', 0, 65_535) ?? d.grpc.port,
      maxMessageBytes:
        integerAt(grpc.maxMessageBytes, 'grpc.maxMessageBytes', 64 * 1024, 1024 * MiB) ??
        d.grpc.maxMessageBytes,
      connectionWindowBytes:
        integerAt(grpc.connectionWindowBytes, 'grpc.connectionWindowBytes', 65_535, MAX_WINDOW) ??
        d.grpc.connectionWindowBytes,
      streamWindowBytes:
        integerAt(grpc.streamWindowBytes, 'grpc.streamWindowBytes', 65_535, MAX_WINDOW) ??
        d.grpc.streamWindowBytes,
    },
    http: {
      host: stringAt(http.host, 'http.host') ?? d.http.host,
      port: integerAt(http.port, 'http.port', 0, 65_535) ?? d.http.port,
    },
    tokens: {
      issuer: stringAt(tokens.issuer, 'tokens.issuer') ?? d.tokens.issuer,
      audience: stringAt(tokens.audience, 'tokens.audience') ?? d.tokens.audience,
      ...(jwksUrl === undefined ? {} : { jwksUrl }),
      ...(keyFile === undefined ? {} : { keyFile: path(keyFile) }),
      ...(jwks === undefined ? {} : { jwks }),
    },
    ...(secrets === undefined ? {} : { secrets: resolveSecretPaths(secrets as SecretStoreSettings, path) }),
    backends: {
      filesystemRoots: (stringListAt(backends.filesystemRoots, 'backends.filesystemRoots') ?? []).map(path),
      credentialsTtlMs:
        integerAt(backends.credentialsTtlMs, 'backends.credentialsTtlMs', 0, DAY_MS) ??
        d.backends.credentialsTtlMs,
    },
    uploads: {
      resumeWindowMs:
        integerAt(uploads.resumeWindowMs, 'uploads.resumeWindowMs', 0, DAY_MS) ?? d.uploads.resumeWindowMs,
      maxOpenSessions:
        integerAt(uploads.maxOpenSessions, 'uploads.maxOpenSessions', 1, 1_000_000) ??
        d.uploads.maxOpenSessions,
    },
    reads: {
      chunkBytes: integerAt(reads.chunkBytes, 'reads.chunkBytes', 1024, 64 * MiB) ?? d.reads.chunkBytes,
    },
    findMissingMaxDigests:
      integerAt(root.findMissingMaxDigests, 'findMissingMaxDigests', 1, 100_000) ?? d.findMissingMaxDigests,
    shutdownGraceMs: integerAt(root.shutdownGraceMs, 'shutdownGraceMs', 0, DAY_MS) ?? d.shutdownGraceMs,
    log: { level: oneOf(log.level, 'log.level', ['debug', 'info', 'warn', 'error'] as const) ?? d.log.level },
  };
}

function section(root: ConfigObject, key: keyof CasConfig, defaults: object): ConfigObject {
  const value = objectAt(root[key], key) ?? {};
  const known = new Set(Object.keys(defaults));
  if (key === 'tokens') for (const extra of ['jwksUrl', 'keyFile', 'jwks']) known.add(extra);
  for (const name of Object.keys(value))
    if (!known.has(name)) throw configError(`${key}.${name}`, 'is not a CAS setting');
  return value;
}

function checkSecretsKeys(secrets: ConfigObject): void {
  const kind = oneOf(secrets.kind, 'secrets.kind', ['file', 'vault'] as const);
  if (kind === undefined) throw configError('secrets.kind', 'is required: "file" or "vault"');
  const known: readonly string[] = SECRET_STORE_SETTINGS[kind];
  for (const name of Object.keys(secrets)) {
    if (!known.includes(name)) {
      throw configError(
        `secrets.${name}`,
        `is not a setting of a ${kind} secret store (it takes ${known.join(', ')})`,
      );
    }
  }
}

/** File-store paths in a config file are relative to it, like every other path there. */
function resolveSecretPaths(
  secrets: SecretStoreSettings,
  path: (value: string) => string,
): SecretStoreSettings {
  const out: Record<string, unknown> = { ...secrets };
  for (const key of ['directory', 'keyFile', 'tokenFile']) {
    const value = out[key];
    if (typeof value === 'string' && value !== '') out[key] = path(value);
  }
  return out as SecretStoreSettings;
}
