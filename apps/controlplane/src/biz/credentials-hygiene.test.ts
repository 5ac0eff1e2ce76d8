import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AzuriteInfo,
  type RegistryEndpoint,
  type RunningServer,
  startAzurite,
  startRegistry,
} from '@cairn/backends/testing';
import { createCasClient } from '@cairn/cas-client';
import { Code } from '@cairn/errors';
import { createVaultSecretStore } from '@cairn/secrets';
import { startVaultKv2Double, type VaultKv2Double } from '@cairn/secrets/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CoreHarness, createCoreHarness } from '../testing/core-harness.js';
import { findInDatabase } from '../testing/database-scan.js';
import { createTestDatabase, DATABASE_KINDS, type TestDatabase } from '../testing/databases.js';

// Two accounts of one registry, so credentials can be rotated from one to the other.
const users = [
  { username: 'alice', password: randomBytes(18).toString('base64url') },
  { username: 'robot', password: randomBytes(18).toString('base64url') },
] as const;
let registry: RunningServer<RegistryEndpoint>;

beforeAll(async () => {
  registry = await startRegistry({ kind: 'htpasswd', users: [...users] });
});

afterAll(async () => {
  await registry?.stop();
});

const signal = AbortSignal.timeout(600_000);

describe.each(DATABASE_KINDS)('backend credentials on %s', (kind) => {
  let database: TestDatabase;
  let h: CoreHarness;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    h = await createCoreHarness(database.store);
  });

  afterAll(async () => {
    await h?.close();
    await database?.drop();
  });

  it('checks credentials through the CAS, keeps them only in the secret store, and rotates them to a new reference', async () => {
    const [alice, robot] = users;
    const wrongPassword = `wrong-${randomBytes(12).toString('hex')}`;
    const { principal } = await h.newOrganization();
    const location = `${registry.info.host}/cairn/${kind}`;

    const refused = h.core.backends.create(
      principal,
      {
        name: 'registry',
        provider: 'oci',
        location,
        credentials: { username: alice.username, password: wrongPassword },
      },
      signal,
    );
    await expect(refused).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(/^backend "registry" failed the write check, so nothing was saved: /),
      details: { reason: 'write_check_failed' },
    });
    const storedFiles = async () => readdir(join(h.dir, 'secrets')).catch(() => []);
    expect(await storedFiles()).toEqual([]);

    const backend = await h.core.backends.create(
      principal,
      { name: 'registry', provider: 'oci', location, credentials: { ...alice }, isDefault: true },
      signal,
    );
    const refPattern = new RegExp(`^orgs/${principal.orgId}/backends/${backend.id}/[0-9a-f]{16}$`);
    expect(backend.secretRef).toMatch(refPattern);
    expect(await h.secrets.get(backend.secretRef ?? '', signal)).toEqual({ ...alice });

    const rotated = await h.core.backends.update(
      principal,
      { name: 'registry' },
      { credentials: { ...robot } },
      signal,
    );
    expect(rotated.secretRef).toMatch(refPattern);
    expect(rotated.secretRef).not.toBe(backend.secretRef);
    expect(rotated.validationStatus).toBe('ok');
    expect(await h.secrets.get(rotated.secretRef ?? '', signal)).toEqual({ ...robot });
    await expect(h.secrets.get(backend.secretRef ?? '', signal)).rejects.toMatchObject({
      code: Code.NotFound,
    });

    // Only the password changes: the username in force is kept (merged), and the check fails.
    const badRotation = h.core.backends.update(
      principal,
      { name: 'registry' },
      { credentials: { password: wrongPassword } },
      signal,
    );
    await expect(badRotation).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringMatching(
        /^the new credentials of "registry" failed the write check, so the old ones stay in force: /,
      ),
      details: { reason: 'write_check_failed' },
    });
    const kept = await h.core.backends.get(principal, { name: 'registry' });
    expect(kept.secretRef).toBe(rotated.secretRef);
    expect(await h.secrets.get(kept.secretRef ?? '', signal)).toEqual({ ...robot });
    expect(await storedFiles()).toHaveLength(1);
    expect((await h.core.backends.revalidate(principal, { name: 'registry' }, signal)).validationStatus).toBe(
      'ok',
    );

    const { token } = await h.core.credentials.issue(principal, 'upload');
    const secrets = [alice.password, robot.password, wrongPassword];
    for (const secret of secrets) expect(token).not.toContain(secret);
    expect(await findInDatabase(h.store, secrets)).toEqual([]);
    for (const secret of secrets) expect(h.logs.join('')).not.toContain(secret);
  });

  it('has a scanner that does find a value that is in the database', async () => {
    const { principal } = await h.newOrganization();
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    await h.store.events.append({ orgId: principal.orgId, kind: 'test', subjectId: 'x', data: { marker } });
    expect(await findInDatabase(h.store, [marker])).toEqual(['events.data']);
  });
});

describe('backend credentials in Vault (through the Vault KV v2 test double)', () => {
  let database: TestDatabase;
  let vault: VaultKv2Double;
  let h: CoreHarness;

  beforeAll(async () => {
    vault = await startVaultKv2Double();
    database = await createTestDatabase('postgres');
    const secrets = createVaultSecretStore({
      endpoint: vault.endpoint,
      token: vault.token,
      mount: 'secret',
      prefix: 'cairn',
    });
    h = await createCoreHarness(database.store, { secrets });
  });

  afterAll(async () => {
    await h?.close();
    await database?.drop();
    await vault?.close();
  });

  it('writes credentials to Vault under the backend reference, and a rotation to a new one', async () => {
    const [alice, robot] = users;
    const { principal } = await h.newOrganization();
    const backend = await h.core.backends.create(
      principal,
      {
        name: 'registry',
        provider: 'oci',
        location: `${registry.info.host}/cairn/vault`,
        credentials: { ...alice },
      },
      signal,
    );
    const path = `cairn/${backend.secretRef}`;
    expect(vault.currentVersion(path)).toBe(1);
    const rotated = await h.core.backends.update(
      principal,
      { id: backend.id },
      { credentials: { ...robot } },
      signal,
    );
    expect(vault.currentVersion(`cairn/${rotated.secretRef}`)).toBe(1);
    expect(vault.currentVersion(path)).toBeUndefined();
    expect(await h.secrets.get(rotated.secretRef ?? '', signal)).toEqual({ ...robot });

    // A sealed Vault fails validation with a reason, without the credentials.
    vault.setSealed(true);
    try {
      const checked = await h.core.backends.revalidate(principal, { id: backend.id }, signal);
      expect(checked.validationStatus).toBe('failed');
      expect(checked.validationError).toMatch(/secret store/);
    } finally {
      vault.setSealed(false);
    }
    const secrets = [alice.password, robot.password, vault.token];
    expect(await findInDatabase(h.store, secrets)).toEqual([]);
    for (const secret of secrets) expect(h.logs.join('')).not.toContain(secret);
  });
});

describe('rotating Azure credentials through the CAS (Azurite)', () => {
  let azurite: RunningServer<AzuriteInfo>;
  let database: TestDatabase;
  let h: CoreHarness;

  beforeAll(async () => {
    azurite = await startAzurite();
    database = await createTestDatabase('postgres');
    h = await createCoreHarness(database.store);
  });

  afterAll(async () => {
    await h?.close();
    await database?.drop();
    await azurite?.stop();
  });

  async function uploadWith(token: string, text: string): Promise<void> {
    const bytes = Buffer.from(text);
    const client = createCasClient({ address: h.cas.grpcAddress, token });
    try {
      await client.upload({
        digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
        size: bytes.length,
        data: async function* () {
          yield bytes;
        },
      });
    } finally {
      client.close();
    }
  }

  it('merges a new key over the stored fields, keeps the old ones in force when it fails, and switches when it passes', async () => {
    const { accountName, accountKey, endpoint } = azurite.info;
    const { principal } = await h.newOrganization();
    const created = await h.core.backends.create(
      principal,
      {
        name: 'azure',
        provider: 'azure-blob',
        location: `rotation-${randomBytes(4).toString('hex')}`,
        credentials: { accountName, accountKey, endpoint },
        isDefault: true,
      },
      signal,
    );

    // Only the key is sent: accountName and endpoint come from the stored credentials.
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    await expect(
      h.core.backends.update(principal, { name: 'azure' }, { credentials: { accountKey: wrongKey } }, signal),
    ).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('failed the write check, so the old ones stay in force'),
    });
    const kept = await h.core.backends.get(principal, { name: 'azure' });
    expect(kept).toMatchObject({ secretRef: created.secretRef, validationStatus: 'ok' });
    await uploadWith((await h.core.credentials.issue(principal, 'upload')).token, 'still works');

    const rotated = await h.core.backends.update(
      principal,
      { name: 'azure' },
      { credentials: { accountKey } },
      signal,
    );
    expect(rotated.secretRef).not.toBe(created.secretRef);
    expect(await h.secrets.get(rotated.secretRef ?? '', signal)).toEqual({
      accountName,
      accountKey,
      endpoint,
    });
    await expect(h.secrets.get(created.secretRef ?? '', signal)).rejects.toMatchObject({
      code: Code.NotFound,
    });
    await uploadWith((await h.core.credentials.issue(principal, 'upload')).token, 'after the rotation');
  });
});
