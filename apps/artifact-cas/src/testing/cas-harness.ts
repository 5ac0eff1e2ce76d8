import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CasGrant,
  generateSigningKey,
  mintCasToken,
  publicJwks,
  type SigningKey,
} from '@cairn/cas-token';
import { type Logger, silentLogger } from '@cairn/observability';
import { type RunningArtifactCas, type StartOptions, startArtifactCas } from '../app/start.js';
import type { CasConfigInit } from '../config/config.js';
import { GrpcTestClient } from './grpc-test-client.js';

export interface TestCas {
  readonly cas: RunningArtifactCas;
  readonly dir: string;
  /** The allowed filesystem root and the backend directory under it that tokens name. */
  readonly root: string;
  readonly location: string;
  readonly key: SigningKey;
  readonly grpc: GrpcTestClient;
  /** An upload token for the test backend (max 64 MiB) unless overridden. */
  uploadToken(overrides?: Partial<CasGrant>): Promise<string>;
  /** A download token (not digest-bound unless `digest` is given). */
  downloadToken(overrides?: Partial<CasGrant>): Promise<string>;
  /** Every file under the backend directory, relative to it: what a client could ever see. */
  files(): Promise<string[]>;
  close(): Promise<void>;
}

export const ISSUER = 'cairn-test-issuer';
export const AUDIENCE = 'cairn-artifact-cas';

/** A CAS on free ports over a filesystem backend in a temp dir, trusting a fresh key, with real tokens. */
export async function startTestCas(
  config: CasConfigInit = {},
  options: StartOptions & { logger?: Logger } = {},
): Promise<TestCas> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cas-test-'));
  const root = join(dir, 'roots');
  const location = join(root, 'org-1');
  await mkdir(location, { recursive: true });
  const key = await generateSigningKey();
  const cas = await startArtifactCas(
    {
      ...config,
      grpc: { port: 0, ...config.grpc },
      http: { port: 0, ...config.http },
      tokens: { issuer: ISSUER, audience: AUDIENCE, jwks: publicJwks(key), ...config.tokens },
      backends: { filesystemRoots: [root], ...config.backends },
    },
    { logger: silentLogger, ...options },
  );
  const grpc = new GrpcTestClient(cas.grpcAddress);
  const grant = (overrides: Partial<CasGrant>): CasGrant => ({
    sub: 'user:ada',
    org: 'org-1',
    role: 'upload',
    backend: { id: 'backend-1', provider: 'filesystem', location },
    secret: '',
    max_bytes: 64 * 1024 * 1024,
    ...overrides,
  });
  const mint = (overrides: Partial<CasGrant>) =>
    mintCasToken(key, grant(overrides), { issuer: ISSUER, audience: AUDIENCE });
  return {
    cas,
    dir,
    root,
    location,
    key,
    grpc,
    uploadToken: (overrides = {}) => mint({ role: 'upload', ...overrides }),
    downloadToken: (overrides = {}) => mint({ role: 'download', max_bytes: 0, ...overrides }),
    files: () => listFiles(location),
    async close() {
      grpc.close();
      await cas.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function blobOf(bytes: Uint8Array): { hex: string; size: number; digest: string } {
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { hex, size: bytes.byteLength, digest: `sha256:${hex}` };
}

export function uploadName(bytes: Uint8Array, uuid: string = randomUUID()): string {
  const { hex, size } = blobOf(bytes);
  return `uploads/${uuid}/blobs/${hex}/${size}`;
}

export function downloadName(bytes: Uint8Array): string {
  const { hex, size } = blobOf(bytes);
  return `blobs/${hex}/${size}`;
}

/** Deterministic test bytes. */
export function bytesOf(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let state = seed;
  for (let i = 0; i < size; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: string[] = [];
  for (const entry of entries) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), path)));
    else out.push(path);
  }
  return out.sort();
}
