import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type CasRole, generateSigningKey, mintCasToken, publicJwks } from '@cairn/cas-token';
import { createFileSecretStore, FILE_STORE_KEY_BYTES } from '@cairn/secrets';
import { type ServerProcess, startNodeServer } from '../process.js';
import type { BackendTarget } from './targets.js';

/** A running CAS process that serves every bench backend, reading their credentials from its secret store. */
export interface BackendCas {
  readonly process: ServerProcess;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  token(role: CasRole, target: BackendTarget): Promise<string>;
  stop(): Promise<void>;
}

/** Starts CAS processes that share one config: trusted key, file secret store and filesystem roots. */
export interface BackendCasLauncher {
  start(): Promise<BackendCas>;
}

/**
 * Writes what a deployed CAS would find: a JWKS file with the bench's signing key, and a file secret
 * store (its key in a file beside it) holding each target's credentials under its secret reference, as
 * the control plane saves them.
 */
export async function prepareBackendCas(
  dir: string,
  targets: readonly BackendTarget[],
  filesystemRoots: readonly string[],
  signal: AbortSignal,
): Promise<BackendCasLauncher> {
  const key = await generateSigningKey();
  const keyFile = join(dir, 'jwks.json');
  await writeFile(keyFile, JSON.stringify(publicJwks(key)));

  const storeKey = randomBytes(FILE_STORE_KEY_BYTES);
  const secretsKeyFile = join(dir, 'secret-store.key');
  await writeFile(secretsKeyFile, `${storeKey.toString('base64')}\n`, { mode: 0o600 });
  const secretsDir = join(dir, 'secrets');
  const store = createFileSecretStore({ directory: secretsDir, key: storeKey });
  for (const target of targets) {
    if (target.credentials) await store.put(target.secretRef, target.credentials, signal);
  }

  const token = (role: CasRole, target: BackendTarget) =>
    mintCasToken(
      key,
      {
        sub: 'bench',
        org: 'bench',
        role,
        backend: { id: target.id, provider: target.kind, location: target.location },
        secret: target.secretRef,
        max_bytes: 8 * 1024 ** 3,
      },
      { lifetimeSeconds: 3600 },
    );

  return {
    async start() {
      const [grpcPort, httpPort] = [await freePort(), await freePort()];
      const configFile = join(dir, 'cas.json');
      await writeFile(
        configFile,
        JSON.stringify({
          grpc: { port: grpcPort },
          http: { port: httpPort },
          tokens: { keyFile },
          secrets: { kind: 'file', directory: secretsDir, keyFile: secretsKeyFile },
          backends: { filesystemRoots },
          log: { level: 'warn' },
        }),
      );
      const httpUrl = `http://127.0.0.1:${httpPort}`;
      const server = await startNodeServer(
        'apps/artifact-cas/src/main.ts',
        ['--config', configFile],
        async () => {
          const response = await fetch(`${httpUrl}/readyz`, { signal });
          await response.body?.cancel();
          return response.ok;
        },
      );
      return {
        process: server,
        grpcAddress: `127.0.0.1:${grpcPort}`,
        httpUrl,
        token,
        stop: () => server.stop(),
      };
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port was assigned'));
      });
    });
  });
}
