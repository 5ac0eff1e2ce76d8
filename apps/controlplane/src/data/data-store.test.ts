import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../testing/databases.js';
import { DataStore, isUniqueViolation, type NewCasBackend } from './index.js';

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
    maxBytes: 5 * 1024 ** 3,
    secretRef: null,
    validationStatus: 'pending',
    validationError: null,
    validatedAt: null,
    ...overrides,
  };
}

describe.each(DATABASE_KINDS)('data store on %s', (kind) => {
  let database: TestDatabase;
  let store: DataStore;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    store = database.store;
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function newOrg() {
    return store.organizations.insert({ id: randomUUID(), name: `org-${randomUUID().slice(0, 8)}` });
  }

  it('reads bigint columns back as numbers beyond 32 bits', async () => {
    const org = await newOrg();
    const saved = await store.backends.insert(backend(org.id, { maxBytes: 2 ** 40 }));
    expect(saved.maxBytes).toBe(2 ** 40);
    const read = await store.backends.find(org.id, saved.id);
    expect(read?.maxBytes).toBe(2 ** 40);
    expect(typeof read?.maxBytes).toBe('number');
  });

  it('keeps admin tokens, and only them, without an organisation', async () => {
    const org = await newOrg();
    const token = (orgId: string | null, kind: 'user' | 'robot' | 'admin') => ({
      id: randomUUID(),
      orgId,
      name: kind,
      kind,
      tokenHash: randomUUID(),
      expiresAt: null,
    });
    const admin = await store.apiTokens.insert(token(null, 'admin'));
    await store.apiTokens.insert(token(org.id, 'robot'));
    await expect(store.apiTokens.insert(token(org.id, 'admin'))).rejects.toMatchObject({
      constraint: 'api_tokens_admin_has_no_org',
    });
    await expect(store.apiTokens.insert(token(null, 'user'))).rejects.toMatchObject({
      constraint: 'api_tokens_admin_has_no_org',
    });
    expect((await store.apiTokens.list(null)).map((listed) => listed.id)).toContain(admin.id);
    expect((await store.apiTokens.list(org.id)).map((listed) => listed.kind)).toEqual(['robot']);
    expect(await store.apiTokens.revoke(org.id, admin.id, new Date())).toBe(false);
    expect(await store.apiTokens.revoke('any', admin.id, new Date())).toBe(true);
  });

  it('enforces one live default and one live fallback per organisation', async () => {
    const org = await newOrg();
    await store.backends.insert(backend(org.id, { isDefault: true }));
    await store.backends.insert(backend(org.id, { isFallback: true }));
    const secondDefault = store.backends.insert(backend(org.id, { isDefault: true }));
    await expect(secondDefault).rejects.toSatisfy((error) =>
      isUniqueViolation(error, 'cas_backends_one_default'),
    );
    const secondFallback = store.backends.insert(backend(org.id, { isFallback: true }));
    await expect(secondFallback).rejects.toSatisfy((error) =>
      isUniqueViolation(error, 'cas_backends_one_fallback'),
    );
    // Another organisation has its own default.
    const other = await newOrg();
    await store.backends.insert(backend(other.id, { isDefault: true }));
  });

  it('refuses a backend that is both default and fallback', async () => {
    const org = await newOrg();
    await expect(
      store.backends.insert(backend(org.id, { isDefault: true, isFallback: true })),
    ).rejects.toMatchObject({
      code: '23514',
    });
  });

  it('keeps live names unique, and frees a name when its backend is soft-deleted', async () => {
    const org = await newOrg();
    const first = await store.backends.insert(backend(org.id, { name: 'evidence' }));
    await expect(store.backends.insert(backend(org.id, { name: 'evidence' }))).rejects.toSatisfy((error) =>
      isUniqueViolation(error, 'cas_backends_live_name'),
    );
    await store.backends.softDelete(org.id, first.id, new Date());
    const second = await store.backends.insert(backend(org.id, { name: 'evidence' }));
    expect((await store.backends.findByName(org.id, 'evidence'))?.id).toBe(second.id);
    expect((await store.backends.find(org.id, first.id, { includeDeleted: true }))?.deletedAt).toBeInstanceOf(
      Date,
    );
    expect(await store.backends.find(org.id, first.id)).toBeUndefined();
  });

  it('maps digests to backends, preferring live ones and keeping deleted ones readable', async () => {
    const org = await newOrg();
    const old = await store.backends.insert(backend(org.id));
    const digest = `sha256:${'a'.repeat(64)}`;
    await store.blobLocations.record({ orgId: org.id, digest, backendId: old.id, size: 2 ** 35 });
    await store.blobLocations.record({ orgId: org.id, digest, backendId: old.id, size: 2 ** 35 });
    expect(await store.blobLocations.list(org.id, digest)).toMatchObject([
      { backendId: old.id, size: 2 ** 35 },
    ]);
    await store.backends.softDelete(org.id, old.id, new Date());
    expect((await store.blobLocations.findBackend(org.id, digest))?.id).toBe(old.id);

    const live = await store.backends.insert(backend(org.id));
    await store.blobLocations.record({ orgId: org.id, digest, backendId: live.id, size: 2 ** 35 });
    expect((await store.blobLocations.findBackend(org.id, digest))?.id).toBe(live.id);
    const otherOrg = await newOrg();
    expect(await store.blobLocations.findBackend(otherOrg.id, digest)).toBeUndefined();
  });

  it('rolls a failed transaction back whole', async () => {
    const org = await newOrg();
    const attempt = store.transaction(async (tx) => {
      await tx.backends.insert(backend(org.id, { name: 'kept-only-if-committed' }));
      throw new Error('abort');
    });
    await expect(attempt).rejects.toThrow('abort');
    expect(await store.backends.findByName(org.id, 'kept-only-if-committed')).toBeUndefined();
  });

  it('runs work under an advisory lock once at a time', async () => {
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inside--;
      return 'done';
    };
    const [a, b] = await Promise.all([
      store.locks.tryWithLock('job', work),
      store.locks.tryWithLock('job', work),
    ]);
    expect([a.acquired, b.acquired].sort()).toEqual([false, true]);
    expect(most).toBe(1);
    expect(await store.locks.tryWithLock('job', work)).toEqual({ acquired: true, value: 'done' });
  });

  it('stores events as JSON', async () => {
    const org = await newOrg();
    await store.events.append({ orgId: org.id, kind: 'test', subjectId: 'x', data: { a: 1 } });
    expect(await store.events.list(org.id)).toMatchObject([{ kind: 'test', subjectId: 'x', data: { a: 1 } }]);
  });
});

describe('advisory locks across PostgreSQL connections', () => {
  it('lets only one of two independent pools (two replicas) take the lock', async () => {
    const database = await createTestDatabase('postgres');
    const replica = await DataStore.open({ kind: 'postgres', url: database.url ?? '' });
    try {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started: () => void = () => {};
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const first = database.store.locks.tryWithLock('validation', () => {
        started();
        return held;
      });
      await running;
      const second = await replica.locks.tryWithLock('validation', async () => 'ran');
      expect(second.acquired).toBe(false);
      release();
      expect((await first).acquired).toBe(true);
      expect(await replica.locks.tryWithLock('validation', async () => 'ran')).toEqual({
        acquired: true,
        value: 'ran',
      });
    } finally {
      await replica.close();
      await database.drop();
    }
  });
});
