import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateFileStoreKey, parseFileStoreKey } from './file-store-key.js';

describe('parseFileStoreKey', () => {
  const raw = randomBytes(32);

  it('reads 32 bytes given raw, as hex, or as base64 of either alphabet, with or without padding', () => {
    const id = parseFileStoreKey(raw).id;
    for (const text of [
      raw.toString('hex'),
      raw.toString('hex').toUpperCase(),
      raw.toString('base64'),
      raw.toString('base64url'),
      ` ${raw.toString('base64')}\n`,
    ]) {
      const key = parseFileStoreKey(text);
      expect(key.secret.equals(raw)).toBe(true);
      expect(key.id.equals(id)).toBe(true);
    }
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['31 raw bytes', randomBytes(31)],
    ['a passphrase', 'correct horse battery staple'],
    ['hex with a stray character', `${raw.toString('hex').slice(0, 63)}g`],
    ['empty text', ''],
  ])('rejects %s with INVALID_ARGUMENT', (_, input) => {
    expect(() => parseFileStoreKey(input)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
  });
});

describe('loadOrCreateFileStoreKey', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cairn-secrets-key-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates a random key file 0600 in a 0700 directory, then keeps returning it', async () => {
    const path = join(root, '.cairn', 'secret-store.key');
    const created = await loadOrCreateFileStoreKey(path);
    expect(created).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(root, '.cairn'))).mode & 0o777).toBe(0o700);
    expect((await readFile(path, 'utf8')).trim()).toBe(created.toString('base64'));
    expect((await loadOrCreateFileStoreKey(path)).equals(created)).toBe(true);
  });

  it('gives every concurrent caller the same key', async () => {
    const path = join(root, 'race.key');
    const keys = await Promise.all(Array.from({ length: 10 }, () => loadOrCreateFileStoreKey(path)));
    for (const key of keys) expect(key.equals(keys[0] ?? Buffer.alloc(0))).toBe(true);
  });

  it('reads a key file written by hand as hex', async () => {
    const path = join(root, 'hand.key');
    const raw = randomBytes(32);
    await writeFile(path, `${raw.toString('hex')}\n`, { mode: 0o600 });
    expect((await loadOrCreateFileStoreKey(path)).equals(raw)).toBe(true);
  });

  it('refuses a damaged key file with FAILED_PRECONDITION instead of replacing it', async () => {
    const path = join(root, 'damaged.key');
    await writeFile(path, 'garbage', { mode: 0o600 });
    await expect(loadOrCreateFileStoreKey(path)).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect(await readFile(path, 'utf8')).toBe('garbage');
  });

  it('ends with CANCELED on an aborted signal', async () => {
    await expect(loadOrCreateFileStoreKey(join(root, 'k'), AbortSignal.abort())).rejects.toMatchObject({
      code: Code.Canceled,
    });
  });
});
