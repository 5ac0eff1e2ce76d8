import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, secretStoreContract } from '../testing/secret-store-contract.js';
import { createFileSecretStore, type FileSecretStore } from './file-secret-store.js';

const signal = new AbortController().signal;

describe('FileSecretStore', () => {
  secretStoreContract(async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cairn-secrets-contract-'));
    const key = randomBytes(32).toString('base64');
    return {
      store: createFileSecretStore({ directory: join(directory, 'store'), key }),
      credentials: [key],
      close: () => rm(directory, { recursive: true, force: true }),
    };
  });

  describe('on disk', () => {
    let root: string;
    let directory: string;
    let key: Buffer;
    let store: FileSecretStore;
    const fileOf = (ref: string): string => join(directory, `${ref.replaceAll('/', '~')}.secret`);

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'cairn-secrets-file-'));
      directory = join(root, 'nested', 'secrets');
      key = randomBytes(32);
      store = createFileSecretStore({ directory, key: key.toString('hex') });
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('answers UNAVAILABLE, not NOT_FOUND, once the directory it used is gone (an unmounted volume)', async () => {
      // A new store whose directory was never made holds nothing yet.
      await expectCode(store.get('orgs/acme/backends/b1', signal), Code.NotFound);
      await store.put('orgs/acme/backends/b1', { password: 'pw' }, signal);
      await rename(directory, `${directory}.away`);
      const gone = await expectCode(store.get('orgs/acme/backends/b1', signal), Code.Unavailable);
      expect(gone.message).toBe(
        `the file secret store's directory ${directory} is gone (on a volume that is no longer mounted?); restore it, then retry`,
      );
      await rename(`${directory}.away`, directory);
      expect(await store.get('orgs/acme/backends/b1', signal)).toEqual({ password: 'pw' });
      await expectCode(store.get('orgs/acme/backends/b2', signal), Code.NotFound);
    });

    it('creates the directory 0700 and each file 0600, leaving no temp files', async () => {
      await store.put('orgs/acme/backends/b1', { password: 'pw' }, signal);
      await store.rotate('orgs/acme/backends/b1', { password: 'pw2' }, signal);
      expect((await stat(directory)).mode & 0o777).toBe(0o700);
      expect((await stat(join(root, 'nested'))).mode & 0o777).toBe(0o700);
      expect((await stat(fileOf('orgs/acme/backends/b1'))).mode & 0o777).toBe(0o600);
      expect(await readdir(directory)).toEqual(['orgs~acme~backends~b1.secret']);
    });

    it('stores ciphertext that contains neither the plaintext nor its field names', async () => {
      await store.put('a', { secretAccessKey: 'wJalrXUtnFEMI-very-secret' }, signal);
      const onDisk = await readFile(fileOf('a'));
      expect(onDisk.includes('wJalrXUtnFEMI')).toBe(false);
      expect(onDisk.includes('secretAccessKey')).toBe(false);
      expect(onDisk.includes(Buffer.from('wJalrXUtnFEMI').toString('base64'))).toBe(false);
    });

    it('uses a fresh IV per write, so equal values give different files', async () => {
      await store.put('one', { v: 'same' }, signal);
      await store.put('two', { v: 'same' }, signal);
      const [one, two] = await Promise.all([readFile(fileOf('one')), readFile(fileOf('two'))]);
      expect(one.subarray(12, 24).equals(two.subarray(12, 24))).toBe(false);
    });

    it('answers DATA_LOSS for any tampered byte, without leaking the plaintext', async () => {
      await store.put('t', { token: 'plaintext-token-value' }, signal);
      const original = await readFile(fileOf('t'));
      for (const offset of [0, 14, 30, original.length - 20, original.length - 1]) {
        const tampered = Buffer.from(original);
        tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
        await writeFile(fileOf('t'), tampered);
        const error = await expectCode(store.get('t', signal), Code.DataLoss);
        expect(String(error)).not.toContain('plaintext-token-value');
      }
      await writeFile(fileOf('t'), original.subarray(0, 30));
      await expectCode(store.get('t', signal), Code.DataLoss);
      await writeFile(fileOf('t'), original);
      expect(await store.get('t', signal)).toEqual({ token: 'plaintext-token-value' });
    });

    it('binds each file to its reference: a renamed file fails with DATA_LOSS', async () => {
      await store.put('orgs/a/backends/x', { who: 'a' }, signal);
      await rename(fileOf('orgs/a/backends/x'), fileOf('orgs/b/backends/x'));
      await expectCode(store.get('orgs/b/backends/x', signal), Code.DataLoss);
    });

    it('answers FAILED_PRECONDITION, naming the cause, when the key is wrong', async () => {
      await store.put('k', { password: 'pw-under-first-key' }, signal);
      const other = createFileSecretStore({ directory, key: randomBytes(32) });
      const error = await expectCode(other.get('k', signal), Code.FailedPrecondition);
      expect(error.message).toContain('different key');
      expect(String(error)).not.toContain('pw-under-first-key');
      const sameKeyOtherSpelling = createFileSecretStore({ directory, key: key.toString('base64url') });
      expect(await sameKeyOtherSpelling.get('k', signal)).toEqual({ password: 'pw-under-first-key' });
    });

    it('keeps the file decryptable under many concurrent rotations', async () => {
      await store.put('busy', { round: 'start' }, signal);
      const rounds = Array.from({ length: 40 }, (_, index) => ({
        round: String(index),
        pad: 'p'.repeat(index * 100),
      }));
      await Promise.all(rounds.map((value) => store.rotate('busy', value, signal)));
      expect(rounds).toContainEqual(await store.get('busy', signal));
      expect(await readdir(directory)).toEqual(['busy.secret']);
    });

    it('lets exactly one of many concurrent puts of one reference win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, index) => store.put('race', { n: String(index) }, signal)),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(await readdir(directory)).toEqual(['race.secret']);
    });

    it('explains an unusable directory instead of failing obscurely', async () => {
      const file = join(root, 'a-file');
      await writeFile(file, 'not a directory');
      const blocked = createFileSecretStore({ directory: file, key });
      const error = await expectCode(blocked.put('x', { a: 'b' }, signal), Code.FailedPrecondition);
      expect(error.message).toContain(`${file} is not a directory`);
    });

    it('refuses a malformed key without repeating it', () => {
      const badKey = 'not-a-key-but-maybe-someones-password';
      expect(() => createFileSecretStore({ directory, key: badKey })).toThrow(
        expect.objectContaining({ code: Code.InvalidArgument }),
      );
      try {
        createFileSecretStore({ directory, key: badKey });
      } catch (error) {
        expect(String(error)).not.toContain(badKey);
      }
    });
  });
});
