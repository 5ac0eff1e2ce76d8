import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/databases.js';
import { DataStore } from './index.js';

// A minute-long TTL: whatever a replica sees change, it saw through a notice, not through its entry expiring.
const LONG_TTL_MS = 60_000;

/** Polls `read` until `done` holds, for at most 3 s; returns how long that took. */
async function msUntil<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<number> {
  const started = performance.now();
  while (!done(await read())) {
    if (performance.now() - started > 3_000) throw new Error('the other replica never saw the change');
    await sleep(10);
  }
  return performance.now() - started;
}

describe('read caches of two control planes on one PostgreSQL', () => {
  let database: TestDatabase;
  let writer: DataStore;
  let reader: DataStore;

  beforeAll(async () => {
    database = await createTestDatabase('postgres', { cacheTtlMs: LONG_TTL_MS });
    writer = database.store;
    reader = await DataStore.open({ kind: 'postgres', url: database.url ?? '', cacheTtlMs: LONG_TTL_MS });
  });

  afterAll(async () => {
    await reader?.close();
    await database?.drop();
  });

  async function newToken() {
    const org = await writer.organizations.insert({
      id: randomUUID(),
      name: `org-${randomUUID().slice(0, 8)}`,
    });
    const tokenHash = randomUUID();
    const token = await writer.apiTokens.insert({
      id: randomUUID(),
      orgId: org.id,
      name: 'ci',
      kind: 'robot',
      tokenHash,
      expiresAt: null,
    });
    return { org, token, tokenHash };
  }

  it('a token revoked on one is refused by the other within a notice, not after the TTL', async () => {
    const { org, token, tokenHash } = await newToken();
    expect((await reader.apiTokens.findByHash(tokenHash))?.revokedAt).toBeNull();
    // Kept: a change the reader is not told of (a raw write) stays unseen.
    await writer.db.updateTable('api_tokens').set({ name: 'renamed' }).where('id', '=', token.id).execute();
    expect((await reader.apiTokens.findByHash(tokenHash))?.name).toBe('ci');

    expect(await writer.apiTokens.revoke(org.id, token.id, new Date())).toBe(true);
    const ms = await msUntil(
      () => reader.apiTokens.findByHash(tokenHash),
      (seen) => seen?.revokedAt instanceof Date,
    );
    // Far below the TTL, with room for a loaded machine: a notice takes milliseconds.
    expect(ms).toBeLessThan(10_000);
  });

  it('a new default backend, set in a transaction on one, is what the other reads', async () => {
    const { org } = await newToken();
    const backend = (name: string, isDefault: boolean) => ({
      id: randomUUID(),
      orgId: org.id,
      name,
      provider: 'filesystem' as const,
      location: '/tmp/somewhere',
      description: '',
      isDefault,
      isFallback: false,
      maxBytes: 1024,
      secretRef: null,
      validationStatus: 'ok' as const,
      validationError: null,
      validatedAt: null,
    });
    const first = await writer.backends.insert(backend('first', true));
    const second = await writer.backends.insert(backend('second', false));
    expect((await reader.backends.findDefault(org.id))?.id).toBe(first.id);
    await writer.transaction(async (tx) => {
      await tx.backends.clearDefault(org.id);
      await tx.backends.update(org.id, second.id, { isDefault: true });
    });
    await msUntil(
      () => reader.backends.findDefault(org.id),
      (seen) => seen?.id === second.id,
    );
  });

  it('after losing its listening connection a replica forgets what it kept, and hears notices again', async () => {
    const { org, token, tokenHash } = await newToken();
    expect((await reader.apiTokens.findByHash(tokenHash))?.name).toBe('ci');
    await writer.db.updateTable('api_tokens').set({ name: 'renamed' }).where('id', '=', token.id).execute();
    // Both replicas' listening sessions (the writer losing its own changes nothing here).
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and query like 'LISTEN%'`.execute(writer.db);
    // Notices sent while it was not listening are lost, so it dropped its copy.
    await msUntil(
      () => reader.apiTokens.findByHash(tokenHash),
      (seen) => seen?.name === 'renamed',
    );
    await sleep(1_500); // listening again after RELISTEN_DELAY_MS, which forgot everything once more
    expect((await reader.apiTokens.findByHash(tokenHash))?.revokedAt).toBeNull();
    expect(await writer.apiTokens.revoke(org.id, token.id, new Date())).toBe(true);
    await msUntil(
      () => reader.apiTokens.findByHash(tokenHash),
      (seen) => seen?.revokedAt instanceof Date,
    );
  });
});
