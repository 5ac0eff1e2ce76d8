import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CasConfigInit, type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import type { ProviderKind } from '@cairn/backends';
import {
  type CasGrant,
  type CasRole,
  generateSigningKey,
  mintCasToken,
  publicJwks,
  type SigningKey,
} from '@cairn/cas-token';
import { createLogger } from '@cairn/observability';
import type { SecretStore } from '@cairn/secrets';

export const ISSUER = 'cairn-e2e';
export const AUDIENCE = 'cairn-e2e-cas';

export interface Backend {
  readonly id: string;
  readonly provider: ProviderKind;
  readonly location: string;
  /** The secret-store reference of its credentials; '' for none. */
  readonly secret: string;
}

export interface E2eCas {
  readonly cas: RunningArtifactCas;
  readonly address: string;
  readonly key: SigningKey;
  /** A token of `role` for `backend`, signed by `key` (the trusted one by default). */
  mint(role: CasRole, backend: Backend, options?: { key?: SigningKey; digest?: string }): Promise<string>;
  /** The CAS's last warn and error log lines (at most LOG_LINES_KEPT), for a failing test to print. */
  warnings(): readonly string[];
  close(): Promise<void>;
}

const LOG_LINES_KEPT = 50;

/**
 * An artifact CAS in this process on a free 127.0.0.1 port, as a deployment runs it (its own config
 * schema), trusting one fresh signing key unless `config.tokens` names another key source.
 */
export async function startE2eCas(
  config: CasConfigInit = {},
  options: { secretStore?: SecretStore; env?: Record<string, string> } = {},
): Promise<E2eCas> {
  const key = await generateSigningKey();
  const warnings: string[] = [];
  const logger = createLogger({
    level: 'warn',
    write: (line) => {
      warnings.push(line.trimEnd());
      if (warnings.length > LOG_LINES_KEPT) warnings.shift();
    },
  });
  const cas = await startArtifactCas(
    {
      ...config,
      grpc: { host: '127.0.0.1', port: 0, ...config.grpc },
      http: { host: '127.0.0.1', port: 0, ...config.http },
      tokens: { issuer: ISSUER, audience: AUDIENCE, ...(config.tokens ?? { jwks: publicJwks(key) }) },
      shutdownGraceMs: 1_000,
    },
    {
      logger,
      ...(options.secretStore === undefined ? {} : { secretStore: options.secretStore }),
      ...(options.env === undefined ? {} : { env: options.env }),
    },
  );
  return {
    cas,
    address: cas.grpcAddress,
    key,
    mint: (role, backend, mintOptions = {}) => mintFor(mintOptions.key ?? key, role, backend, mintOptions),
    warnings: () => [...warnings],
    close: () => cas.close(),
  };
}

export function mintFor(
  key: SigningKey,
  role: CasRole,
  backend: Backend,
  options: { digest?: string } = {},
): Promise<string> {
  const grant: CasGrant = {
    sub: 'user:e2e',
    org: 'org-e2e',
    role,
    backend: { id: backend.id, provider: backend.provider, location: backend.location },
    secret: backend.secret,
    max_bytes: role === 'upload' ? 1024 ** 3 : 0,
    ...(options.digest === undefined ? {} : { digest: options.digest }),
  };
  return mintCasToken(key, grant, { issuer: ISSUER, audience: AUDIENCE });
}

/** Random bytes of `size` with their digest. */
export function blobOf(size: number): { bytes: Buffer; hex: string; digest: string } {
  const bytes = randomBytes(size);
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { bytes, hex, digest: `sha256:${hex}` };
}

/** A reopenable source for cas-client: the bytes from any offset, in 1 MiB pieces. */
export function sourceOf(blob: { bytes: Buffer; digest: string }) {
  return {
    digest: blob.digest,
    size: blob.bytes.byteLength,
    data: async function* (offset: number) {
      for (let at = offset; at < blob.bytes.byteLength; at += 1024 * 1024) {
        yield blob.bytes.subarray(at, Math.min(at + 1024 * 1024, blob.bytes.byteLength));
      }
    },
  };
}

/** A temp dir removed by the returned function. */
export async function tempDir(purpose: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `cairn-e2e-${purpose}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export function randomId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
