import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CasRole, generateSigningKey, mintCasToken, publicJwks } from '@cairn/cas-token';
import { createFileSecretStore, FILE_STORE_KEY_BYTES } from '@cairn/secrets';
import { launchCas } from '../cas-launch.js';
import type { ServerProcess } from '../process.js';
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
      const { server, grpcAddress, httpUrl } = await launchCas(
        dir,
        {
          tokens: { keyFile },
          secrets: { kind: 'file', directory: secretsDir, keyFile: secretsKeyFile },
          backends: { filesystemRoots },
        },
        signal,
      );
      return { process: server, grpcAddress, httpUrl, token, stop: () => server.stop() };
    },
  };
}
