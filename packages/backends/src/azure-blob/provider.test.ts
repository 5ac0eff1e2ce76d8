import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { azureBlobProvider } from './provider.js';

const KEY = Buffer.from('a storage account key that must never be echoed').toString('base64');
const SECRET = 'client-secret-never-echoed';
const sharedKey = { accountName: 'cairnevidence', accountKey: KEY };
const principal = {
  accountName: 'cairnevidence',
  tenantId: '0c1d2e3f-0000-4000-8000-000000000000',
  clientId: '9a8b7c6d-0000-4000-8000-000000000000',
  clientSecret: SECRET,
};

function refusal(action: () => unknown): CairnError {
  try {
    action();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('azure-blob provider: locations', () => {
  it('accepts a container, optionally with a prefix, in canonical form', () => {
    expect(azureBlobProvider.parseLocation('evidence')).toBe('evidence');
    expect(azureBlobProvider.parseLocation('team-a-evidence/builds/2024/')).toBe(
      'team-a-evidence/builds/2024',
    );
  });

  it.each([
    ['Evidence'],
    ['ab'],
    ['double--hyphen'],
    ['dotted.name'],
    ['evidence//x'],
    ['evidence/../x'],
    [''],
  ])('refuses %j', (location) => {
    expect(refusal(() => azureBlobProvider.parseLocation(location)).code).toBe(Code.InvalidArgument);
  });
});

describe('azure-blob provider: credentials', () => {
  it('accepts a shared key or a service principal, each with an optional endpoint', () => {
    expect(azureBlobProvider.parseCredentials(sharedKey)).toEqual({ kind: 'shared-key', ...sharedKey });
    expect(
      azureBlobProvider.parseCredentials({
        ...sharedKey,
        endpoint: 'http://127.0.0.1:10000/devstoreaccount1/',
      }),
    ).toEqual({ kind: 'shared-key', ...sharedKey, endpoint: 'http://127.0.0.1:10000/devstoreaccount1' });
    expect(azureBlobProvider.parseCredentials(principal)).toEqual({
      kind: 'service-principal',
      ...principal,
    });
  });

  it('lists what is missing, naming both ways to sign in when neither is given', () => {
    expect(refusal(() => azureBlobProvider.parseCredentials({})).message).toBe(
      "azure-blob credentials need accountName and either accountKey (a shared key) or a service principal's tenantId, clientId and clientSecret (missing: accountName, accountKey or tenantId/clientId/clientSecret); optional: endpoint, authorityHost",
    );
    expect(
      refusal(() => azureBlobProvider.parseCredentials({ accountName: 'cairnevidence', clientId: 'app' }))
        .message,
    ).toContain('(missing: tenantId, clientSecret)');
    const unknown = refusal(() => azureBlobProvider.parseCredentials({ ...sharedKey, sasToken: SECRET }));
    expect(unknown.message).toContain('(unknown: sasToken)');
    expect(unknown.message).not.toContain(SECRET);
  });

  it.each([
    ['a string', 'not an object', /one object of strings/],
    ['no account name', { accountKey: KEY }, /missing: accountName/],
    ['a malformed account name', { ...sharedKey, accountName: 'Has Spaces' }, /"accountName"/],
    ['a key that is not base64', { ...sharedKey, accountKey: `${SECRET}!` }, /"accountKey"/],
    ['a key and a service principal', { ...principal, accountKey: KEY }, /either "accountKey"/],
    ['neither a key nor a service principal', { accountName: 'cairnevidence' }, /missing: accountKey or/],
    [
      'a service principal without secret',
      { ...principal, clientSecret: undefined },
      /missing: clientSecret/,
    ],
    ['a service principal without tenant', { ...principal, tenantId: '' }, /missing: tenantId/],
    ['an endpoint that is not http(s)', { ...sharedKey, endpoint: 'file:///tmp' }, /"endpoint"/],
  ])('refuses %s, naming the field but never a value', (_, raw, field) => {
    const error = refusal(() => azureBlobProvider.parseCredentials(raw));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toMatch(field);
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(SECRET);
  });
});
