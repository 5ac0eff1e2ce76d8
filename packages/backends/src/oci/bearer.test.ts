import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import { chunksOf, freshRepository, never, randomBlob, readAll } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { TokenRealm } from '../testing/oci/token-realm.js';
import type { RunningServer } from '../testing/servers/index.js';
import { type RegistryEndpoint, startRegistry } from '../testing/servers/registry.js';
import { createOciDriver } from './driver.js';

const username = 'robot';
const password = 'token-realm-secret';

// distribution 2.8 itself verifies the tokens here (auth.token with a certificate made at test time);
// only the token service (the realm) is a minimal one written for the test.
describe('oci provider on a real registry with token auth, tokens from a minimal test realm', () => {
  let realm: TokenRealm;
  let registry: RunningServer<RegistryEndpoint>;

  beforeAll(async () => {
    realm = await TokenRealm.start({
      username,
      password,
      service: 'cairn-registry',
      issuer: 'cairn-test-realm',
    });
    registry = await startRegistry({
      kind: 'token',
      realm: realm.url,
      service: 'cairn-registry',
      issuer: 'cairn-test-realm',
      rootCertificatePem: realm.certificatePem,
    });
  });

  afterAll(async () => {
    await registry?.stop();
    await realm?.stop();
  });

  function driverFor(
    repository: string,
    credentials: { username: string; password: string } | Record<string, never>,
  ) {
    return createOciDriver(
      { location: `${registry.info.host}/${repository}`, credentials },
      { chunkSize: 128 * 1024 },
    );
  }

  it('gets scoped tokens from the challenge realm, caches them, and round-trips a blob', async () => {
    const repository = freshRepository('bearer');
    const store = createBlobStore(driverFor(repository, { username, password }));
    const { bytes, blob } = randomBlob(1024 * 1024);
    const before = realm.requests.length;
    await store.upload(chunksOf(bytes, 100 * 1024), blob, never, {
      mediaType: 'application/vnd.in-toto+json',
    });
    expect(await store.describe(blob.hex, never)).toEqual({
      ...blob,
      mediaType: 'application/vnd.in-toto+json',
    });
    expect((await readAll((await store.download(blob.hex, { offset: 0 }, never)).body)).equals(bytes)).toBe(
      true,
    );
    await store.checkWriteAccess(never);

    const requests = realm.requests.slice(before);
    expect(requests.every((request) => request.authenticated)).toBe(true);
    // The registry lists a challenge's actions in no fixed order (push,pull or pull,push): compare them sorted.
    const sortedActions = (scope: string) => {
      const [kind, name, actions = ''] = scope.split(':');
      return `${kind}:${name}:${actions.split(',').sort().join(',')}`;
    };
    expect(requests.flatMap((request) => request.scopes).map(sortedActions)).toEqual(
      expect.arrayContaining([`repository:${repository}:pull`, `repository:${repository}:pull,push`]),
    );
    // One token per kind of action (pull, push, delete), not one per request: the upload alone made
    // a dozen requests.
    expect(requests.length).toBeLessThanOrEqual(3);
    expect(await new RegistryStorage(registry.info.storageDir, repository).leftovers()).toEqual([]);
  });

  it('replaces a cached token the registry rejects, once', async () => {
    const repository = freshRepository('bearer-renew');
    const driver = driverFor(repository, { username, password });
    // The first push token grants only pull, as if its rights were cut while cached.
    realm.grantOnly = ['pull'];
    const { bytes, blob } = randomBlob(1000);
    const store = createBlobStore(driver);
    try {
      await expect(store.upload(chunksOf(bytes, 1000), blob, never)).rejects.toMatchObject({
        code: Code.PermissionDenied,
        message: expect.stringContaining('push access'),
      });
    } finally {
      realm.grantOnly = undefined;
    }
    const before = realm.requests.length;
    await store.upload(chunksOf(bytes, 1000), blob, never);
    expect(realm.requests.length).toBeGreaterThan(before);
    expect(await store.exists(blob.hex, never)).toBe(true);
  });

  it('says the token service refused the credentials, without the password', async () => {
    const wrong = 'not-the-password';
    const driver = driverFor(freshRepository('bearer-wrong'), { username, password: wrong });
    let caught: unknown;
    try {
      await driver.checkWriteAccess(never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CairnError);
    const error = caught as CairnError;
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.message).toContain('refused the credentials');
    expect(JSON.stringify({ m: error.message, d: error.details })).not.toContain(wrong);
  });

  it('fetches tokens anonymously when no credentials are configured, and the realm refuses them', async () => {
    const before = realm.requests.length;
    const driver = driverFor(freshRepository('bearer-anonymous'), {});
    await expect(driver.stat('e'.repeat(64), never)).rejects.toMatchObject({
      code: Code.Unauthenticated,
      message: expect.stringContaining('requires credentials'),
    });
    expect(realm.requests.slice(before).map((request) => request.authenticated)).toEqual([false]);
  });
});
