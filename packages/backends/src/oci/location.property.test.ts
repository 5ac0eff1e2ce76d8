import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OciLocation, parseOciLocation } from './location.js';

const secret = fc
  .string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
    minLength: 14,
    maxLength: 30,
  })
  .map((text) => `Zq${text}`);

const hostname = fc.oneof(
  fc.domain(),
  fc.mixedCase(fc.domain()),
  fc.constantFrom(
    'localhost',
    'LOCALHOST',
    'registry',
    '127.0.0.1',
    '127.1',
    '0x7f.0.0.1',
    '999.1.1.1',
    '1.2.3.4.5',
    '256.0.0.1',
    '[::1]',
    '[0:0::1]',
    '[::FFFF:127.0.0.1]',
    '[:]',
    '[::1',
    '[fe80::1%25eth0]',
    'a..b',
    '-a',
    'a-',
    '_a',
    'xn--80ak6aa92e.com',
  ),
);
const port = fc.constantFrom(
  '',
  '',
  '',
  ':5000',
  ':443',
  ':80',
  ':0',
  ':1',
  ':65535',
  ':65536',
  ':05000',
  ':',
  ':abc',
);
const component = fc.oneof(
  fc.stringMatching(/^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/),
  fc.constantFrom('', 'A', '..', '.', '-a', 'a__b', 'a___b', 'a..b', 'é', 'a b'),
);
const location = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', '', '', 'http://', 'https://', 'HTTPS://', 'ftp://', 'http:/'),
        hostname,
        port,
        fc.array(component, { minLength: 0, maxLength: 3 }),
        fc.constantFrom('', '', '/', '//'),
        fc.constantFrom('', '', ' ', '\t\n'),
      )
      .map(
        ([scheme, host, at, parts, trail, space]) =>
          `${space}${scheme}${host}${at}/${parts.join('/')}${trail}${space}`,
      ),
  },
  fc.string({ unit: 'binary', maxLength: 40 }),
);

/** Where a credential ends up when it is pasted into a location: user info, a query, a fragment. */
const withSecret = fc
  .tuple(
    fc.constantFrom('', 'https://', 'http://'),
    secret,
    fc.constantFrom(
      'user:{}@ghcr.io/acme/evidence',
      '{}@ghcr.io/acme/evidence',
      'ghcr.io/acme/evidence?token={}',
      'ghcr.io/acme/evidence#{}',
      'oauth2:{}@127.0.0.1:5000/e',
    ),
  )
  .map(([scheme, token, form]) => ({ token, text: `${scheme}${form.replace('{}', token)}` }));

function attempt(text: string): OciLocation | CairnError {
  try {
    return parseOciLocation(text);
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
}

describe('OCI location properties', () => {
  it('any string is INVALID_ARGUMENT, or a location whose canonical form parses to itself and whose origin is the one URLs have', () => {
    fc.assert(
      fc.property(location, (text) => {
        const parsed = attempt(text);
        if (parsed instanceof CairnError) {
          expect(parsed.code).toBe(Code.InvalidArgument);
          return;
        }
        expect(parseOciLocation(parsed.canonical)).toEqual(parsed);
        // The client compares request URLs' origins with this one before it sends credentials.
        expect(new URL(parsed.origin).origin).toBe(parsed.origin);
        expect(new URL(parsed.origin).protocol).toBe(parsed.plainHttp ? 'http:' : 'https:');
        const path = `/v2/${parsed.repository}/blobs/uploads/`;
        expect(new URL(`${parsed.origin}${path}`).pathname).toBe(path);
      }),
      { numRuns: 1500 },
    );
  });

  it('a user name, password or token pasted into a location is refused without being quoted', () => {
    fc.assert(
      fc.property(withSecret, ({ token, text }) => {
        const parsed = attempt(text);
        expect(parsed).toBeInstanceOf(CairnError);
        expect((parsed as CairnError).code).toBe(Code.InvalidArgument);
        expect((parsed as CairnError).message).not.toContain(token.slice(0, 10));
      }),
      { numRuns: 200 },
    );
  });
});
