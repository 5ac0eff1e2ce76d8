import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { createSecretStore, type SecretStoreConfig } from './create-secret-store.js';
import { FileSecretStore } from './file/file-secret-store.js';
import { startVaultKv2Double } from './testing/vault-kv2-double.js';
import { VaultSecretStore } from './vault/vault-secret-store.js';

const signal = new AbortController().signal;

describe('createSecretStore', () => {
  it('builds a working file store from configuration', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'cairn-secrets-factory-'));
    try {
      const store = createSecretStore({ kind: 'file', directory, key: randomBytes(32).toString('hex') });
      expect(store).toBeInstanceOf(FileSecretStore);
      await store.put('r', { a: 'b' }, signal);
      expect(await store.get('r', signal)).toEqual({ a: 'b' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('builds a working Vault store from configuration (against a double of Vault KV v2 HTTP API)', async () => {
    const vault = await startVaultKv2Double();
    try {
      const store = createSecretStore({
        kind: 'vault',
        endpoint: vault.endpoint,
        token: vault.token,
        mount: undefined,
      });
      expect(store).toBeInstanceOf(VaultSecretStore);
      await store.put('r', { a: 'b' }, signal);
      expect(await store.get('r', signal)).toEqual({ a: 'b' });
    } finally {
      await vault.close();
    }
  });

  it('rejects an unknown kind with INVALID_ARGUMENT', () => {
    const config = { kind: 'aws' } as unknown as SecretStoreConfig;
    expect(() => createSecretStore(config)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
  });
});
