import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type RegistryEndpoint, type RunningServer, startRegistry } from '@cairn/backends/testing';
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

  it('checks credentials for real, keeps them only in the secret store, and rotates them in place', async () => {
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
    await expect(refused).rejects.toMatchObject({ code: Code.FailedPrecondition });
    const storedFiles = async () => readdir(join(h.dir, 'secrets')).catch(() => []);
    expect(await storedFiles()).toEqual([]);

    const backend = await h.core.backends.create(
      principal,
      { name: 'registry', provider: 'oci', location, credentials: { ...alice }, isDefault: true },
      signal,
    );
    expect(backend.secretRef).toBe(`orgs/${principal.orgId}/backends/${backend.id}`);
    expect(await h.secrets.get(backend.secretRef ?? '', signal)).toEqual({ ...alice });

    const rotated = await h.core.backends.update(
      principal,
      { name: 'registry' },
      { credentials: { ...robot } },
      signal,
    );
    expect(rotated.secretRef).toBe(backend.secretRef);
    expect(rotated.validationStatus).toBe('ok');
    expect(await h.secrets.get(backend.secretRef ?? '', signal)).toEqual({ ...robot });

    const badRotation = h.core.backends.update(
      principal,
      { name: 'registry' },
      { credentials: { username: robot.username, password: wrongPassword } },
      signal,
    );
    await expect(badRotation).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect(await h.secrets.get(backend.secretRef ?? '', signal)).toEqual({ ...robot });
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

  it('writes credentials to Vault under the backend reference and rotates them as a new version of it', async () => {
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
    await h.core.backends.update(principal, { id: backend.id }, { credentials: { ...robot } }, signal);
    expect(vault.currentVersion(path)).toBe(2);
    expect(await h.secrets.get(backend.secretRef ?? '', signal)).toEqual({ ...robot });

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
