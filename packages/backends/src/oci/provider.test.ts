import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { parseChallenge } from './auth.js';
import { parseOciLocation } from './location.js';
import { ociProvider } from './provider.js';

function failure(run: () => unknown): CairnError {
  try {
    run();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('oci locations', () => {
  it('uses https by default and plain http on loopback, keeping a scheme prefix only where it differs', () => {
    expect(parseOciLocation('ghcr.io/acme/evidence')).toEqual({
      canonical: 'ghcr.io/acme/evidence',
      origin: 'https://ghcr.io',
      host: 'ghcr.io',
      repository: 'acme/evidence',
      plainHttp: false,
    });
    expect(parseOciLocation('127.0.0.1:5000/cairn/evidence')).toMatchObject({
      canonical: '127.0.0.1:5000/cairn/evidence',
      origin: 'http://127.0.0.1:5000',
    });
    expect(parseOciLocation('localhost:5000/e').origin).toBe('http://localhost:5000');
    expect(parseOciLocation('[::1]:5000/e').origin).toBe('http://[::1]:5000');
    expect(parseOciLocation('http://registry.internal:5000/team/evidence/')).toMatchObject({
      canonical: 'http://registry.internal:5000/team/evidence',
      origin: 'http://registry.internal:5000',
    });
    expect(parseOciLocation('https://localhost:5443/e')).toMatchObject({
      canonical: 'https://localhost:5443/e',
      origin: 'https://localhost:5443',
    });
    expect(parseOciLocation('https://ghcr.io/acme/evidence').canonical).toBe('ghcr.io/acme/evidence');
    expect(ociProvider.parseLocation(' registry.example.com/a/b-c/d_e.f ')).toBe(
      'registry.example.com/a/b-c/d_e.f',
    );
  });

  it('refuses what is no registry/repository, saying what a valid one looks like', () => {
    for (const location of [
      '',
      'evidence',
      '/evidence',
      'ghcr.io/',
      'ghcr.io/Acme/evidence',
      'ghcr.io/acme//evidence',
      'ghcr.io/acme/evidence:latest',
      'ghcr.io/acme/evidence@sha256:00',
      'user:pass@ghcr.io/acme',
      'ghcr.io:99999/acme',
      'ftp://ghcr.io/acme',
      `ghcr.io/${'a'.repeat(256)}`,
    ]) {
      const error = failure(() => ociProvider.parseLocation(location));
      expect(error.code, location).toBe(Code.InvalidArgument);
      expect(error.message).toContain('OCI location');
    }
  });

  // Counterexamples fast-check found (location.property.test.ts), each named after the bug.
  it.each([
    ['a.aA/a', 'https://a.aa'],
    ['localhost:05000/a', 'http://localhost:5000'],
    ['a.aa:443/a', 'https://a.aa'],
    ['[0:0::1]/0', 'https://[::1]'],
    ['0x7f.0.0.1/0', 'https://127.0.0.1'],
  ])(
    'spells the origin of %s as URLs do (%s), so request origins match it and credentials are sent',
    (location, origin) => {
      expect(parseOciLocation(location).origin).toBe(origin);
    },
  );

  it('refuses a host URLs refuse (256.0.0.1) as INVALID_ARGUMENT instead of a TypeError at the first request', () => {
    const error = failure(() => parseOciLocation('256.0.0.1/0'));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).toContain('"256.0.0.1" is not a registry host');
  });

  it('refuses user info pasted into a location without quoting the password', () => {
    const error = failure(() => parseOciLocation('user:ZqAAAAAAAAAAAAAA@ghcr.io/acme/evidence'));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.message).not.toContain('ZqAAAAAAAA');
    expect(error.message).toContain("belongs in the backend's credentials");
  });
});

describe('oci credentials', () => {
  it('takes a username and password, or nothing for anonymous access', () => {
    expect(ociProvider.parseCredentials({ username: 'robot', password: 's3cret' })).toEqual({
      username: 'robot',
      password: 's3cret',
    });
    expect(ociProvider.parseCredentials({})).toEqual({});
    expect(ociProvider.parseCredentials(undefined)).toEqual({});
    expect(ociProvider.parseCredentials(null)).toEqual({});
    // Found by the property test: a blank user name is text without ':', for the registry to judge.
    expect(ociProvider.parseCredentials({ username: ' ', password: 's3cret' })).toEqual({
      username: ' ',
      password: 's3cret',
    });
  });

  it('says what they need and lists what is missing or unknown', () => {
    expect(failure(() => ociProvider.parseCredentials({ username: 'robot' })).message).toBe(
      'oci credentials need username and password, or no fields at all for anonymous access (missing: password)',
    );
    expect(
      failure(() => ociProvider.parseCredentials({ user: 'robot', password: 'hunter2-secret' })).message,
    ).toBe(
      'oci credentials need username and password, or no fields at all for anonymous access (missing: username; unknown: user)',
    );
  });

  it('names the bad field and never echoes a value', () => {
    for (const [raw, field] of [
      [{ username: 'robot' }, 'password'],
      [{ password: 'hunter2-secret' }, 'username'],
      [{ username: 'robot', password: '' }, 'password'],
      [{ username: 'ro:bot', password: 'hunter2-secret' }, 'username'],
      [{ username: 'robot', password: 'hunter2-secret', token: 'hunter2-secret' }, 'token'],
      ['hunter2-secret', 'username'],
    ] as const) {
      const error = failure(() => ociProvider.parseCredentials(raw));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toContain(field);
      expect(error.message).not.toContain('hunter2');
    }
  });
});

describe('WWW-Authenticate challenges', () => {
  it('parses bearer and basic challenges with quoted parameters', () => {
    const bearer = parseChallenge(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push",error="insufficient_scope"',
    );
    expect(bearer?.scheme).toBe('bearer');
    expect(Object.fromEntries(bearer?.params ?? [])).toEqual({
      realm: 'https://auth.example.com/token',
      service: 'registry.example.com',
      scope: 'repository:a/b:pull,push',
      error: 'insufficient_scope',
    });
    expect(parseChallenge('Basic realm="cairn \\"test\\""')?.params.get('realm')).toBe('cairn "test"');
    expect(parseChallenge('')).toBeUndefined();
  });
});
