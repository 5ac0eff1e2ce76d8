import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateFileStoreKey } from '@cairn/secrets';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { bytesOf, downloadName, startTestCas, type TestCas, uploadName } from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-cas-secrets-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('backend credentials from the secret store', () => {
  it('is UNAVAILABLE, saying what to check, when the secret store is down', async () => {
    const tokenFile = join(dir, 'vault-token');
    await writeFile(tokenFile, 'hvs.test-token\n', { mode: 0o600 });
    const t: TestCas = await startTestCas({
      secrets: {
        kind: 'vault',
        endpoint: `http://127.0.0.1:${await closedPort()}`,
        tokenFile,
        requestTimeoutMs: 2000,
      },
    });
    try {
      const data = bytesOf(100, 51);
      const upload = await t.uploadToken({ secret: 'orgs/org-1/backends/backend-1' });
      const download = await t.downloadToken({ secret: 'orgs/org-1/backends/backend-1' });
      await expectStatus(
        t.grpc.write(upload, uploadName(data), data),
        'UNAVAILABLE',
        /secret store.*unavailable.*retry/,
      );
      await expectStatus(t.grpc.read(download, downloadName(data)), 'UNAVAILABLE', /secrets/);
      const response = await fetch(`${t.cas.httpUrl}/v1/blobs/sha256:${'a'.repeat(64)}`, {
        headers: { authorization: `Bearer ${download}` },
      });
      if (response.status !== 503) throw new Error(`expected 503, got ${response.status}`);
    } finally {
      await t.close();
    }
  });

  it('is FAILED_PRECONDITION when the credentials are not in the store, and when none is configured', async () => {
    const keyFile = join(dir, 'store.key');
    await loadOrCreateFileStoreKey(keyFile);
    const withStore = await startTestCas({
      secrets: { kind: 'file', directory: join(dir, 'secrets'), keyFile },
    });
    const withoutStore = await startTestCas();
    try {
      const data = bytesOf(100, 52);
      for (const t of [withStore, withoutStore]) {
        const upload = await t.uploadToken({ secret: 'orgs/org-1/backends/gone' });
        await expectStatus(
          t.grpc.write(upload, uploadName(data), data),
          'FAILED_PRECONDITION',
          /credentials|secret store/,
        );
      }
    } finally {
      await Promise.all([withStore.close(), withoutStore.close()]);
    }
  });
});
