import { CairnError, Code } from '@cairn/errors';
import { describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import { chunksOf, freshRepository, never, randomBlob, readAll } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { ociProvider } from './provider.js';

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('oci provider on a registry behind htpasswd basic auth', () => {
  const { host, storageDir, username, password } = inject('testServers').oci.basicAuth;

  async function storeFor(repository: string, credentials: unknown) {
    return createBlobStore(
      await ociProvider.createDriver({
        location: ociProvider.parseLocation(`${host}/${repository}`),
        credentials: ociProvider.parseCredentials(credentials),
      }),
    );
  }

  it('stores, describes and reads back a blob with the right credentials', async () => {
    const repository = freshRepository('basic');
    const store = await storeFor(repository, { username, password });
    const { bytes, blob } = randomBlob(3 * 1024 * 1024 + 17);
    expect(
      await store.upload(chunksOf(bytes, 256 * 1024), blob, never, { fileName: 'test-report.xml' }),
    ).toEqual({
      existed: false,
    });
    expect(await store.describe(blob.hex, never)).toEqual({ ...blob, fileName: 'test-report.xml' });
    expect((await readAll((await store.download(blob.hex, { offset: 0 }, never)).body)).equals(bytes)).toBe(
      true,
    );
    await store.checkWriteAccess(never);
    expect(await new RegistryStorage(storageDir, repository).leftovers()).toEqual([]);
  });

  it('says the registry refused the credentials for a wrong password, without the password', async () => {
    const wrong = `${password}-not-it`;
    const store = await storeFor(freshRepository('wrong'), { username, password: wrong });
    // One call at a time: a second call's refusal, made at once, would go unhandled while the first is awaited.
    for (const attempt of [() => store.exists('d'.repeat(64), never), () => store.checkWriteAccess(never)]) {
      const error = await failure(attempt());
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.message).toContain(`registry ${host} refused the credentials`);
      const everything = JSON.stringify({
        message: error.message,
        details: error.details,
        cause: String(error.cause),
      });
      expect(everything).not.toContain(wrong);
      expect(everything).not.toContain(Buffer.from(`${username}:${wrong}`).toString('base64'));
    }
  });

  it('asks for credentials when none are configured', async () => {
    const error = await failure((await storeFor(freshRepository('anonymous'), {})).checkWriteAccess(never));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.message).toContain('requires credentials');
  });
});
