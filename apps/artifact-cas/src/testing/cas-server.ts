import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CasRole, loadOrCreateSigningKey, mintCasToken, type SigningKey } from '@cairn/cas-token';
import { silentLogger } from '@cairn/observability';
import { type RunningArtifactCas, startArtifactCas } from '../app/start.js';

export interface TestCas {
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** Folder for the test's own files; removed by `close`. */
  readonly workDir: string;
  /** The private JWK file whose key the CAS trusts. */
  readonly keyFile: string;
  readonly issuer: string;
  readonly audience: string;
  /** The filesystem backend the minted tokens name. */
  readonly backend: { readonly id: string; readonly provider: 'filesystem'; readonly location: string };
  mint(role: CasRole, options?: { digest?: string; key?: SigningKey }): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real artifact CAS in this process: free ports on 127.0.0.1, a filesystem backend and a signing key
 * in a temp dir, tokens checked against that key. Everything is removed by `close`.
 */
export async function startTestCas(): Promise<TestCas> {
  const workDir = await mkdtemp(join(tmpdir(), 'cairn-test-cas-'));
  const blobsRoot = join(workDir, 'backends');
  const location = join(blobsRoot, 'default');
  await mkdir(location, { recursive: true });
  const keyFile = join(workDir, 'signing-key.json');
  const key = await loadOrCreateSigningKey(keyFile);
  const issuer = 'cairn-test-issuer';
  const audience = 'cairn-test-cas';
  let cas: RunningArtifactCas;
  try {
    cas = await startArtifactCas(
      {
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        tokens: { issuer, audience, keyFile },
        backends: { filesystemRoots: [blobsRoot] },
        shutdownGraceMs: 1_000,
      },
      { logger: silentLogger },
    );
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const backend = { id: 'test-backend', provider: 'filesystem', location } as const;
  return {
    grpcAddress: cas.grpcAddress,
    httpUrl: cas.httpUrl,
    workDir,
    keyFile,
    issuer,
    audience,
    backend,
    mint: (role, options = {}) =>
      mintCasToken(
        options.key ?? key,
        {
          sub: 'test',
          org: 'test-org',
          role,
          backend,
          secret: '',
          max_bytes: 1024 ** 3,
          ...(options.digest === undefined ? {} : { digest: options.digest }),
        },
        { issuer, audience },
      ),
    close: async () => {
      await cas.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
