import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { type CasConfig, loadCasConfig } from '@cairn/artifact-cas';
import { CAS_TOKEN_DEFAULTS, loadOrCreateSigningKey, publicJwks } from '@cairn/cas-token';
import { loadConfig } from '@cairn/controlplane';
import { loadOrCreateFileStoreKey } from '@cairn/secrets';
import { DEV_GRANT, EmbeddedLayout } from './layout.js';

export interface EmbeddedHome {
  readonly layout: EmbeddedLayout;
  /** The CAS config as the CAS process will see it (file plus environment overrides). */
  readonly cas: CasConfig;
  /** Addresses clients dial (a wildcard bind is dialled on 127.0.0.1). */
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** The control plane's addresses, from controlplane.json. */
  readonly controlPlane: { readonly grpcAddress: string; readonly httpUrl: string };
}

/**
 * Creates `.cairn/` on first run and reuses what is there on later ones: the development signing key and
 * the file-store key are never replaced (tokens and secrets would stop working), and `cas.json` is written
 * only when missing so local edits stay. `jwks.json` and `cli.json` are derived and rewritten every time.
 */
export async function ensureEmbeddedHome(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  signal?: AbortSignal,
): Promise<EmbeddedHome> {
  const layout = new EmbeddedLayout(projectDir);
  for (const dir of [layout.home, layout.secretsDir, layout.blobsDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
  const signingKey = await loadOrCreateSigningKey(layout.signingKeyFile, signal);
  await writeAtomically(layout.jwksFile, json(publicJwks(signingKey)));
  await loadOrCreateFileStoreKey(layout.secretStoreKeyFile, signal);
  if (!(await exists(layout.casConfigFile)))
    await writeAtomically(layout.casConfigFile, json(defaultCasConfig(layout)));
  if (!(await exists(layout.controlPlaneConfigFile)))
    await writeAtomically(layout.controlPlaneConfigFile, json(defaultControlPlaneConfig(layout)));
  const controlPlane = await loadConfig({
    file: layout.controlPlaneConfigFile,
    env,
    ...(signal ? { signal } : {}),
  });

  const cas = await loadCasConfig({
    file: layout.casConfigFile,
    env,
    ...(signal ? { signal } : {}),
  });
  const dialHost = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const grpcAddress = `${dialHost(cas.grpc.host)}:${cas.grpc.port}`;
  const httpUrl = `http://${dialHost(cas.http.host)}:${cas.http.port}`;
  // The control plane writes its own section (an API token) once it runs; keep it across restarts.
  const previous = await readJsonObject(layout.cliConfigFile);
  await writeAtomically(
    layout.cliConfigFile,
    json({
      ...(previous.controlplane === undefined ? {} : { controlplane: previous.controlplane }),
      cas: { grpc: grpcAddress, http: httpUrl },
      dev: {
        signingKeyFile: layout.signingKeyFile,
        issuer: cas.tokens.issuer,
        audience: cas.tokens.audience,
        org: DEV_GRANT.org,
        backend: { id: DEV_GRANT.backendId, provider: 'filesystem', location: layout.blobsDir },
        // A filesystem backend has no credentials, and the secret store keeps no empty secret: the token
        // names none (an empty `secret` claim), so the CAS asks the store for nothing.
        secret: '',
        maxBytes: DEV_GRANT.maxBytes,
      },
    }),
  );
  return {
    layout,
    cas,
    grpcAddress,
    httpUrl,
    controlPlane: {
      grpcAddress: `${dialHost(controlPlane.grpc.host)}:${controlPlane.grpc.port}`,
      httpUrl: `http://${dialHost(controlPlane.http.host)}:${controlPlane.http.port}`,
    },
  };
}

/**
 * The CAS config of the embedded default: local ports, the dev key, the file secret store, `.cairn/blobs`.
 * Paths are relative to `.cairn/` (the CAS resolves them against its config file), so the folder can move.
 */
export function defaultCasConfig(layout: EmbeddedLayout) {
  const local = (path: string) => relative(layout.home, path);
  return {
    grpc: { host: '127.0.0.1', port: 9001 },
    http: { host: '127.0.0.1', port: 8001 },
    tokens: {
      issuer: DEV_GRANT.issuer,
      audience: CAS_TOKEN_DEFAULTS.audience,
      keyFile: local(layout.jwksFile),
    },
    secrets: { kind: 'file', directory: local(layout.secretsDir), keyFile: local(layout.secretStoreKeyFile) },
    backends: { filesystemRoots: [local(layout.blobsDir)] },
  };
}

const CONTROL_PLANE_HTTP_PORT = 8000;

/**
 * The control plane config of the embedded default: PGlite in `.cairn/db` (DATABASE_URL switches to
 * PostgreSQL), the same file secret store as the CAS, the dev key as signing key (so `cairn dev token`
 * keeps working), and a first organisation whose default backend is `.cairn/blobs`.
 */
export function defaultControlPlaneConfig(layout: EmbeddedLayout) {
  const local = (path: string) => relative(layout.home, path);
  return {
    stateDir: '.',
    grpc: { host: '127.0.0.1', port: 9000 },
    http: { host: '127.0.0.1', port: CONTROL_PLANE_HTTP_PORT },
    database: { pgliteDir: 'db' },
    secrets: { kind: 'file', directory: local(layout.secretsDir), keyFile: local(layout.secretStoreKeyFile) },
    tokens: {
      issuer: DEV_GRANT.issuer,
      audience: CAS_TOKEN_DEFAULTS.audience,
      signingKeyFile: local(layout.signingKeyFile),
    },
    cas: { grpcAddress: '127.0.0.1:9001' },
    embedded: {
      organization: 'default',
      blobsDir: local(layout.blobsDir),
      cliConfigFile: local(layout.cliConfigFile),
    },
  };
}

async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Readers never see half a file: write beside it, then rename over it. */
async function writeAtomically(path: string, contents: string): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  // 0600: cli.json carries an API token.
  await writeFile(temp, contents, { mode: 0o600 });
  await rename(temp, path);
}
