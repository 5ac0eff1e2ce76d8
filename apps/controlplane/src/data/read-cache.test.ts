import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../testing/databases.js';
import type { DataStore, NewCasBackend } from './index.js';
import { ReadCache } from './read-cache.js';

function backend(orgId: string, overrides: Partial<NewCasBackend> = {}): NewCasBackend {
  return {
    id: randomUUID(),
    orgId,
    name: `b-${randomUUID().slice(0, 8)}`,
    provider: 'filesystem',
    location: '/tmp/somewhere',
    description: '',
    isDefault: false,
    isFallback: false,
    maxBytes: 1024,
    secretRef: null,
    validationStatus: 'ok',
    validationError: null,
    validatedAt: null,
    ...overrides,
  };
}

/** A promise and its settlers (Promise.withResolvers, which Node 20 lacks). */
function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

// A minute-long TTL: whatever a test sees change, the cache saw through its invalidation, not its expiry.
const LONG_TTL_MS = 60_000;

describe.each(DATABASE_KINDS)('read cache of the data store on %s', (kind) => {
  let database: TestDatabase;
  let store: DataStore;

  beforeAll(async () => {
    database = await createTestDatabase(kind, { cacheTtlMs: LONG_TTL_MS });
    store = database.store;
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function newOrg() {
    return store.organizations.insert({ id: randomUUID(), name: `org-${randomUUID().slice(0, 8)}` });
  }

  async function newToken(orgId: string) {
    const tokenHash = randomUUID();
    const token = await store.apiTokens.insert({
      id: randomUUID(),
      orgId,
      name: 'ci',
      kind: 'robot',
      tokenHash,
      expiresAt: null,
    });
    return { token, tokenHash };
  }

  /** A write this store's repositories do not see: another replica's. */
  async function revokeBehindItsBack(id: string) {
    await store.db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', id).execute();
  }

  it('keeps a token it read: a change made elsewhere is not seen within the TTL', async () => {
    const org = await newOrg();
    const { token, tokenHash } = await newToken(org.id);
    expect((await store.apiTokens.findByHash(tokenHash))?.revokedAt).toBeNull();
    await revokeBehindItsBack(token.id);
    expect((await store.apiTokens.findByHash(tokenHash))?.revokedAt).toBeNull();
  });

  it('sees a token revoked through it at once', async () => {
    const org = await newOrg();
    const { token, tokenHash } = await newToken(org.id);
    expect((await store.apiTokens.findByHash(tokenHash))?.revokedAt).toBeNull();
    expect(await store.apiTokens.revoke(org.id, token.id, new Date())).toBe(true);
    expect((await store.apiTokens.findByHash(tokenHash))?.revokedAt).toBeInstanceOf(Date);
  });

  it('sees last_used_at written through it at once', async () => {
    const org = await newOrg();
    const { token, tokenHash } = await newToken(org.id);
    expect((await store.apiTokens.findByHash(tokenHash))?.lastUsedAt).toBeNull();
    const at = new Date(Date.UTC(2030, 0, 1));
    await store.apiTokens.touch(token.id, at);
    expect((await store.apiTokens.findByHash(tokenHash))?.lastUsedAt?.getTime()).toBe(at.getTime());
  });

  it('does not keep an unknown hash, so a token created elsewhere works at once', async () => {
    const org = await newOrg();
    const tokenHash = randomUUID();
    expect(await store.apiTokens.findByHash(tokenHash)).toBeUndefined();
    await store.db
      .insertInto('api_tokens')
      .values({
        id: randomUUID(),
        org_id: org.id,
        name: 'elsewhere',
        kind: 'user',
        token_hash: tokenHash,
        expires_at: null,
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    expect((await store.apiTokens.findByHash(tokenHash))?.name).toBe('elsewhere');
  });

  it('sees a default replaced in a transaction once it commits, and the old one after a rollback', async () => {
    const org = await newOrg();
    const first = await store.backends.insert(backend(org.id, { isDefault: true }));
    const second = await store.backends.insert(backend(org.id));
    expect((await store.backends.findDefault(org.id))?.id).toBe(first.id);
    await expect(
      store.transaction(async (tx) => {
        await tx.backends.clearDefault(org.id);
        await tx.backends.update(org.id, second.id, { isDefault: true });
        // Read outside the transaction while it is open: the old default, which must not stay kept.
        if (kind === 'postgres') expect((await store.backends.findDefault(org.id))?.id).toBe(first.id);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await store.backends.findDefault(org.id))?.id).toBe(first.id);
    await store.transaction(async (tx) => {
      await tx.backends.clearDefault(org.id);
      await tx.backends.update(org.id, second.id, { isDefault: true });
      if (kind === 'postgres') expect((await store.backends.findDefault(org.id))?.id).toBe(first.id);
    });
    expect((await store.backends.findDefault(org.id))?.id).toBe(second.id);
  });

  it('sees validation results, new credentials, fallbacks and deletions written through it at once', async () => {
    const org = await newOrg();
    const chosen = await store.backends.insert(backend(org.id, { isDefault: true }));
    expect((await store.backends.findDefault(org.id))?.validationStatus).toBe('ok');
    await store.backends.recordValidation(chosen.id, { status: 'failed', error: 'gone', at: new Date() });
    expect((await store.backends.findDefault(org.id))?.validationStatus).toBe('failed');
    expect(await store.backends.replaceSecretRef(org.id, chosen.id, null, 'secret/next')).toBe(true);
    expect((await store.backends.findDefault(org.id))?.secretRef).toBe('secret/next');
    expect(await store.backends.findFallback(org.id)).toBeUndefined();
    const fallback = await store.backends.insert(backend(org.id, { isFallback: true }));
    expect((await store.backends.findFallback(org.id))?.id).toBe(fallback.id);
    await store.backends.softDelete(org.id, chosen.id, new Date());
    expect(await store.backends.findDefault(org.id)).toBeUndefined();
  });
});

describe('read cache', () => {
  it('expires what it keeps after the TTL', async () => {
    const cache = new ReadCache<number>(50);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.read('k', load)).toBe(1);
    expect(await cache.read('k', load)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await cache.read('k', load)).toBe(2);
  });

  it('does not keep what a read loaded across an invalidation', async () => {
    const cache = new ReadCache<string>(LONG_TTL_MS);
    let finish: (value: string) => void = () => {};
    const slow = cache.read('k', () => new Promise<string>((resolve) => (finish = resolve)));
    cache.invalidate('k');
    finish('before the write');
    expect(await slow).toBe('before the write');
    expect(await cache.read('k', async () => 'after the write')).toBe('after the write');
  });

  it('reads a missing key once for all the callers that ask while it loads, kept or not', async () => {
    const cache = new ReadCache<string | undefined>(LONG_TTL_MS);
    let loads = 0;
    let gate = deferred<string | undefined>();
    const load = () => {
      loads += 1;
      return gate.promise;
    };
    const keep = (value: string | undefined) => value !== undefined;
    const waiting = Array.from({ length: 32 }, () => cache.read('k', load, keep));
    gate.resolve(undefined);
    expect(await Promise.all(waiting)).toEqual(Array(32).fill(undefined));
    expect(loads).toBe(1);
    // Not kept: the next callers read again, once for all of them.
    gate = deferred();
    const again = [cache.read('k', load, keep), cache.read('k', load, keep)];
    gate.resolve('found');
    expect(await Promise.all(again)).toEqual(['found', 'found']);
    expect(loads).toBe(2);
  });

  it('does not hand a read that began after an invalidation what a load from before it returns', async () => {
    const cache = new ReadCache<string>(LONG_TTL_MS);
    const before = deferred<string>();
    const old = cache.read('k', () => before.promise);
    cache.invalidate('k');
    const fresh = cache.read('k', async () => 'after the write');
    before.resolve('before the write');
    expect(await old).toBe('before the write');
    expect(await fresh).toBe('after the write');
  });

  it('shares a failed load with its waiters and does not keep the failure', async () => {
    const cache = new ReadCache<string>(LONG_TTL_MS);
    let loads = 0;
    const failure = deferred<string>();
    const failing = () => {
      loads += 1;
      return failure.promise;
    };
    const waiting = [cache.read('k', failing), cache.read('k', failing)];
    failure.reject(new Error('database down'));
    for (const read of waiting) await expect(read).rejects.toThrow('database down');
    expect(loads).toBe(1);
    expect(await cache.read('k', async () => 'back')).toBe('back');
  });

  it('keeps nothing with a TTL of 0', async () => {
    const cache = new ReadCache<number>(0);
    let loads = 0;
    await cache.read('k', async () => ++loads);
    expect(await cache.read('k', async () => ++loads)).toBe(2);
  });
});
