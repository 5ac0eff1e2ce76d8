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
