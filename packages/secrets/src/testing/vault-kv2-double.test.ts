import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVaultKv2Double, type VaultKv2Double } from './vault-kv2-double.js';

/** The double must keep to Vault's documented KV v2 HTTP API, since other packages test against it too. */
describe('double of Vault KV v2 HTTP API', () => {
  let vault: VaultKv2Double;
  const call = async (method: string, path: string, body?: unknown, token = vault.token) => {
    const response = await fetch(`${vault.endpoint}/v1/${path}`, {
      method,
      headers: {
        'x-vault-token': token,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
    };
  };

  beforeAll(async () => {
    vault = await startVaultKv2Double();
  });
  afterAll(async () => {
    await vault.close();
  });

  it('writes versions, reads the latest or a given one, and honours check-and-set', async () => {
    expect(
      await call('POST', 'secret/data/app/db', { data: { pw: 'one' }, options: { cas: 0 } }),
    ).toMatchObject({
      status: 200,
      body: { data: { version: 1, destroyed: false } },
    });
    expect(await call('POST', 'secret/data/app/db', { data: { pw: 'x' }, options: { cas: 0 } })).toEqual({
      status: 400,
      body: { errors: ['check-and-set parameter did not match the current version'] },
    });
    expect(
      await call('PUT', 'secret/data/app/db', { data: { pw: 'two' }, options: { cas: 1 } }),
    ).toMatchObject({
      status: 200,
      body: { data: { version: 2 } },
    });
    expect(await call('GET', 'secret/data/app/db')).toMatchObject({
      status: 200,
      body: { data: { data: { pw: 'two' }, metadata: { version: 2 } } },
    });
    expect(await call('GET', 'secret/data/app/db?version=1')).toMatchObject({
      body: { data: { data: { pw: 'one' } } },
    });
    expect(await call('GET', 'secret/metadata/app/db')).toMatchObject({
      body: { data: { current_version: 2 } },
    });
  });

  it('soft-deletes the latest version through data and everything through metadata', async () => {
    await call('POST', 'secret/data/gone', { data: { a: 'b' } });
    expect((await call('DELETE', 'secret/data/gone')).status).toBe(204);
    expect(await call('GET', 'secret/data/gone')).toMatchObject({
      status: 404,
      body: { data: { data: null } },
    });
    expect((await call('DELETE', 'secret/metadata/gone')).status).toBe(204);
    expect(await call('GET', 'secret/data/gone')).toEqual({ status: 404, body: { errors: [] } });
    expect((await call('DELETE', 'secret/metadata/gone')).status).toBe(204);
  });

  it('answers 403 for a missing or wrong token, 404 for unknown routes, 400 for bad bodies', async () => {
    expect(await call('GET', 'secret/data/x', undefined, 'wrong')).toEqual({
      status: 403,
      body: { errors: ['permission denied'] },
    });
    expect(await call('GET', 'elsewhere/data/x')).toMatchObject({ status: 404 });
    expect(await call('POST', 'secret/data/x', { nodata: true })).toEqual({
      status: 400,
      body: { errors: ['no data provided'] },
    });
  });
});
