import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { providerFor } from '@cairn/backends';
import { type AzuriteInfo, type RunningServer, startAzurite } from '@cairn/backends/testing';
import { createFileSecretStore, type FileSecretStore, loadOrCreateFileStoreKey } from '@cairn/secrets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobOf,
  bytesOf,
  downloadName,
  startTestCas,
  type TestCas,
  uploadName,
} from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';

const REF = 'orgs/org-1/backends/azure-1';
const CONTAINER = 'cairn-cas-test';
let azurite: RunningServer<AzuriteInfo>;
let t: TestCas;
let secretsDir: string;
let store: FileSecretStore;

beforeAll(async () => {
  azurite = await startAzurite();
  const { accountName, accountKey, endpoint } = azurite.info;
  const credentials = { accountName, accountKey, endpoint };
  // The container exists once a backend was validated; validation is the control plane's job.
  const provider = providerFor('azure-blob');
  const driver = await provider.createDriver({
    location: CONTAINER,
    credentials: provider.parseCredentials(credentials),
  });
  await driver.checkWriteAccess(AbortSignal.timeout(30_000));
  await driver.close();

  secretsDir = await mkdtemp(join(tmpdir(), 'cairn-cas-store-'));
  const keyFile = join(secretsDir, 'store.key');
  const directory = join(secretsDir, 'secrets');
  await loadOrCreateFileStoreKey(keyFile);
  store = createFileSecretStore({ directory, key: await readFile(keyFile, 'utf8') });
  await store.put(REF, credentials, AbortSignal.timeout(10_000));
  t = await startTestCas({
    secrets: { kind: 'file', directory, keyFile },
    backends: { credentialsTtlMs: 300 },
  });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await azurite?.stop();
  await rm(secretsDir, { recursive: true, force: true });
});

describe('credentials from the secret store', () => {
  it('stores and reads a blob on an Azure backend whose credentials come from the file secret store', async () => {
    const backend = { id: 'azure-1', provider: 'azure-blob' as const, location: CONTAINER };
    const upload = await t.uploadToken({ backend, secret: REF });
    const download = await t.downloadToken({ backend, secret: REF });
    const data = bytesOf(1024 * 1024 + 9, 71);
    expect(await t.grpc.write(upload, uploadName(data), data)).toBe(BigInt(data.byteLength));
    expect((await t.grpc.read(download, downloadName(data))).equals(data)).toBe(true);
    expect((await t.grpc.describe(download, blobOf(data).digest)).resource?.size).toBe(
      BigInt(data.byteLength),
    );
  });

  it('checks write access with the credentials in the store now, not the ones uploads have cached', async () => {
    const ref = `${REF}-check`;
    const { accountName, accountKey, endpoint } = azurite.info;
    const backend = { id: 'azure-1', provider: 'azure-blob' as const, location: CONTAINER };
    const signal = AbortSignal.timeout(30_000);
    await store.put(ref, { accountName, accountKey, endpoint }, signal);
    // Uploads on this CAS reuse resolved credentials for 10 minutes.
    const caching = await startTestCas({
      secrets: {
        kind: 'file',
        directory: join(secretsDir, 'secrets'),
        keyFile: join(secretsDir, 'store.key'),
      },
      backends: { credentialsTtlMs: 600_000 },
    });
    try {
      const upload = await caching.uploadToken({ backend, secret: ref });
      const first = bytesOf(10, 74);
      await caching.grpc.write(upload, uploadName(first), first);
      const wrongKey = Buffer.alloc(64, 2).toString('base64');
      await store.rotate(ref, { accountName, accountKey: wrongKey, endpoint }, signal);
      await expectStatus(caching.grpc.checkWriteAccess(upload), 'FAILED_PRECONDITION', /refused the CAS/);
      // Uploads still use the cached credentials: the check did not read the cache.
      const second = bytesOf(10, 75);
      await caching.grpc.write(upload, uploadName(second), second);
      await store.rotate(ref, { accountName, accountKey, endpoint }, signal);
      expect((await caching.grpc.checkWriteAccess(upload)).elapsedMs).toBeGreaterThanOrEqual(0n);
    } finally {
      await caching.close();
      await store.delete(ref, signal);
    }
  });

  it('refuses a token whose credentials are gone from the store, saying what to run', async () => {
    const backend = { id: 'azure-1', provider: 'azure-blob' as const, location: CONTAINER };
    const upload = await t.uploadToken({ backend, secret: `${REF}-replaced` });
    const data = bytesOf(10, 73);
    const refusal = await expectStatus(t.grpc.write(upload, uploadName(data), data), 'FAILED_PRECONDITION');
    expect(refusal.details).toBe(
      'the credentials this CAS token names for backend azure-1 are not in the secret store (they may just have been replaced); rerun the `cairn` command for a fresh token, and if that fails too, store them again with `cairn cas-backend update NAME`',
    );
  });

  it('reads rotated credentials after the cache TTL; refused ones are FAILED_PRECONDITION, not the caller’s fault', async () => {
    const backend = { id: 'azure-1', provider: 'azure-blob' as const, location: CONTAINER };
    const download = await t.downloadToken({ backend, secret: REF });
    const data = bytesOf(100, 72);
    const upload = await t.uploadToken({ backend, secret: REF });
    await t.grpc.write(upload, uploadName(data), data);
    const wrongKey = Buffer.alloc(64, 1).toString('base64');
    await store.rotate(
      REF,
      { accountName: azurite.info.accountName, accountKey: wrongKey, endpoint: azurite.info.endpoint },
      AbortSignal.timeout(10_000),
    );
    await sleep(400);
    await expectStatus(
      t.grpc.read(download, downloadName(data)),
      'FAILED_PRECONDITION',
      /backend azure-1 refused the CAS/,
    );
  });
});
