import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CasClient, createCasClient } from '@cairn/cas-client';
import { Code } from '@cairn/errors';
import { createFileSecretStore, createVaultSecretStore, loadOrCreateFileStoreKey } from '@cairn/secrets';
import { startVaultKv2Double, type VaultKv2Double } from '@cairn/secrets/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  blobOf,
  type E2eCas,
  randomId,
  sourceOf,
  startE2eCas,
  tempDir,
} from '../support/cas.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { recordFigures } from '../support/figures.js';
import { failureOf, within } from '../support/outcome.js';
import { runCairn, stopChildren } from '../support/processes.js';
import { type StorageTarget, startStorageTarget } from '../support/storage-targets.js';

const KiB = 1024;
/** The CAS's bound on one call to Vault, short here so a hung Vault is seen quickly. */
const VAULT_TIMEOUT_MS = 1_000;
/** A Vault restart (or unseal) is seconds, not one: longer than the cas-client's default retries last. */
const OUTAGE_MS = 4_000;
/** What an upload whose credentials are not cached must say: the secret store, and where it is. */
const NAMES_SECRET_STORE = /secret store/;

/**
 * Issue 14, part 2: the secret store unreachable. Credentials the CAS resolved already stay cached
 * (backends.credentialsTtlMs) and keep working; a backend whose credentials are not cached cannot be
 * opened: its uploads get UNAVAILABLE naming the secret store, and work again once the store is back,
 * without restarting the CAS. The storage server (Azurite) stays up throughout.
 */
describe('the secret store unreachable', () => {
  let storage: StorageTarget;
  const clients: CasClient[] = [];
  const uploader = async (cas: E2eCas, backend: Backend, retries = false) => {
    const client = createCasClient({
      address: cas.address,
      token: await cas.mint('upload', backend),
      ...(retries ? {} : { retry: { maxAttempts: 1 } }),
    });
    clients.push(client);
    return client;
  };
  const backendFor = (secret: string): Backend => ({
    id: randomId('azure'),
    provider: 'azure-blob',
    location: storage.location,
    secret,
  });

  beforeAll(async () => {
    storage = await startStorageTarget('azure-blob');
  });
  afterEach(async () => {
    await stopChildren();
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await storage?.stop();
  });

  describe('Vault (the KV v2 double) stopped, then hung', () => {
    let vault: VaultKv2Double;
    let proxy: FaultProxy;
    let cas: E2eCas;
    const refs = {
      cached: 'orgs/e2e/backends/cached',
      cold: 'orgs/e2e/backends/cold',
      cli: 'orgs/e2e/backends/cli',
    };

    beforeAll(async () => {
      vault = await startVaultKv2Double();
      proxy = await startFaultProxy(new URL(vault.endpoint).host);
      const direct = createVaultSecretStore({ endpoint: vault.endpoint, token: vault.token });
      for (const ref of Object.values(refs)) {
        await direct.put(ref, storage.credentials, AbortSignal.timeout(10_000));
      }
      cas = await startE2eCas(
        {
          secrets: { kind: 'vault', endpoint: `http://${proxy.address}`, requestTimeoutMs: VAULT_TIMEOUT_MS },
          backends: { credentialsTtlMs: 600_000 },
        },
        { env: { CAIRN_CAS_VAULT_TOKEN: vault.token } },
      );
    });
    afterEach(async () => {
      await proxy?.restore();
    });
    afterAll(async () => {
      await cas?.close();
      await proxy?.close();
      await vault?.close();
    });

    it('uploads whose credentials are not cached get UNAVAILABLE naming the secret store; cached ones go on; all work once it is back', async () => {
      const cached = backendFor(refs.cached);
      const cold = backendFor(refs.cold);
      const warm = await uploader(cas, cached);
      await warm.upload(sourceOf(blobOf(64 * KiB)));
      const coldClient = await uploader(cas, cold);

      await proxy.fail('down');
      const downAt = performance.now();
      const down = await failureOf(coldClient.upload(sourceOf(blobOf(64 * KiB))), 10_000, downAt);
      expect(down.error.code, down.error.message).toBe(Code.Unavailable);
      expect(down.error.message).toMatch(NAMES_SECRET_STORE);
      expect(down.error.details.reason).toBe('secret_store_unavailable');
      expect(await warm.upload(sourceOf(blobOf(64 * KiB)))).toMatchObject({ existed: false });

      await proxy.restore();
      await proxy.fail('stalled');
      const stalledAt = performance.now();
      const hung = await failureOf(
        coldClient.upload(sourceOf(blobOf(64 * KiB))),
        VAULT_TIMEOUT_MS + 3_000,
        stalledAt,
      );
      expect(hung.error.code, hung.error.message).toBe(Code.Unavailable);
      expect(hung.error.message).toMatch(NAMES_SECRET_STORE);

      await proxy.restore();
      const backAt = performance.now();
      const blob = blobOf(64 * KiB);
      expect(await coldClient.upload(sourceOf(blob))).toMatchObject({ existed: false });
      expect(await storage.visible(blob.hex)).toBe(true);
      recordFigures('Vault stopped, then hung', {
        unavailableAfterMs: down.afterMs,
        hungUnavailableAfterMs: hung.afterMs,
        vaultRequestTimeoutMs: VAULT_TIMEOUT_MS,
        firstUploadAfterBackMs: Math.round(performance.now() - backAt),
      });
    });

    it('`cairn artifact upload` retries through a Vault outage and stores the file', async () => {
      const dir = await tempDir('cli');
      try {
        const blob = blobOf(256 * KiB);
        const file = join(dir.path, 'evidence.bin');
        await writeFile(file, blob.bytes);
        await proxy.fail('down');
        const cli = runCairn(['artifact', 'upload', '--file', file, '--json'], {
          cwd: dir.path,
          env: {
            CAIRN_CAS_ADDRESS: cas.address,
            CAIRN_CAS_TOKEN: await cas.mint('upload', backendFor(refs.cli)),
          },
        });
        await sleep(OUTAGE_MS);
        // Still at it: its calls were refused (FindMissing, then Write) and it kept retrying.
        expect(cli.child.exitCode, cli.stderrSoFar()).toBeNull();
        await proxy.restore();
        const backAt = performance.now();
        const run = await within(cli.done, 60_000, 'cairn artifact upload');
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ digest: blob.digest, existed: false });
        expect(await storage.visible(blob.hex)).toBe(true);
        recordFigures('Vault stopped: cairn artifact upload', {
          outageMs: OUTAGE_MS,
          exitedAfterBackMs: Math.round(performance.now() - backAt),
        });
      } finally {
        await dir.remove();
      }
    });
  });

  describe('the file store’s directory gone', () => {
    let dir: { path: string; remove: () => Promise<void> };
    let cas: E2eCas;
    let directory: string;

    beforeAll(async () => {
      dir = await tempDir('file-store');
      directory = join(dir.path, 'secrets');
      const keyFile = join(dir.path, 'secrets.key');
      const key = await loadOrCreateFileStoreKey(keyFile);
      const writer = createFileSecretStore({ directory, key });
      for (const ref of ['orgs/e2e/backends/cached', 'orgs/e2e/backends/cold']) {
        await writer.put(ref, storage.credentials, AbortSignal.timeout(10_000));
      }
      cas = await startE2eCas({
        secrets: { kind: 'file', directory, keyFile },
        backends: { credentialsTtlMs: 600_000 },
      });
    });
    afterAll(async () => {
      await cas?.close();
      await dir?.remove();
    });

    it('uploads whose credentials are not cached get UNAVAILABLE naming the secret store, and work once it is back', async () => {
      const warm = await uploader(cas, backendFor('orgs/e2e/backends/cached'));
      await warm.upload(sourceOf(blobOf(64 * KiB)));
      const cold = await uploader(cas, backendFor('orgs/e2e/backends/cold'));
      const away = `${directory}.unmounted`;
      // As a volume that went away leaves it: the directory's path names nothing.
      await rename(directory, away);
      try {
        const gone = await failureOf(cold.upload(sourceOf(blobOf(64 * KiB))), 10_000);
        expect(gone.error.code, gone.error.message).toBe(Code.Unavailable);
        expect(gone.error.message).toMatch(NAMES_SECRET_STORE);
        expect(await warm.upload(sourceOf(blobOf(64 * KiB)))).toMatchObject({ existed: false });
        recordFigures('file secret store directory gone', { unavailableAfterMs: gone.afterMs });
      } finally {
        await rename(away, directory);
      }
      const blob = blobOf(64 * KiB);
      expect(await cold.upload(sourceOf(blob))).toMatchObject({ existed: false });
      expect(await storage.visible(blob.hex)).toBe(true);
    });
  });
});
