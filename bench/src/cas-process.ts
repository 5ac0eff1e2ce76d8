import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CasRole,
  generateSigningKey,
  mintCasToken,
  publicJwks,
  type SigningKey,
} from '@cairn/cas-token';
import { launchCas } from './cas-launch.js';
import type { ServerProcess } from './process.js';

export interface BenchCas {
  readonly process: ServerProcess;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** The filesystem backend's directory. */
  readonly blobs: string;
  token(role: CasRole, digest?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the artifact CAS as its own process (its RSS is then its own) on a filesystem backend in a temp
 * dir under `parent` (the OS temp dir unless given).
 */
export async function startBenchCas(parent = tmpdir()): Promise<BenchCas> {
  const dir = await mkdtemp(join(parent, 'cairn-bench-cas-'));
  const blobs = join(dir, 'blobs');
  await mkdir(blobs);
  const key: SigningKey = await generateSigningKey();
  const keyFile = join(dir, 'jwks.json');
  await writeFile(keyFile, JSON.stringify(publicJwks(key)));
  const { server, grpcAddress, httpUrl } = await launchCas(dir, {
    tokens: { keyFile },
    backends: { filesystemRoots: [blobs] },
  });
  return {
    process: server,
    grpcAddress,
    httpUrl,
    blobs,
    token: (role, digest) =>
      mintCasToken(
        key,
        {
          sub: 'bench',
          org: 'bench',
          role,
          backend: { id: 'bench-fs', provider: 'filesystem', location: blobs },
          secret: '',
          max_bytes: 4 * 1024 ** 3,
          ...(digest === undefined ? {} : { digest }),
        },
        { lifetimeSeconds: 3600 },
      ),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
