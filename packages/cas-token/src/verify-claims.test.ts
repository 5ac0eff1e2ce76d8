import { Code } from '@cairn/errors';
import { CompactSign } from 'jose';
import { beforeAll, describe, it } from 'vitest';
import { CAS_TOKEN_DEFAULTS } from './constants.js';
import { publicJwks } from './jwks.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';
import { expectRefusal } from './testing/refusals.js';
import { blobDigest, signRaw, validPayload } from './testing/tokens.js';
import { type CasTokenVerifier, createCasTokenVerifier } from './verify.js';

const now = Date.UTC(2030, 0, 1, 12);
const valid = validPayload(now / 1000);
const { sub: _sub, ...withoutSub } = valid;
const { role: _role, ...withoutRole } = valid;
const { backend: _backend, ...withoutBackend } = valid;
const { secret: _secret, ...withoutSecret } = valid;
const { max_bytes: _maxBytes, ...withoutMaxBytes } = valid;
const { exp: _exp, ...withoutExp } = valid;
const { jti: _jti, ...withoutJti } = valid;
const { org: _org, ...withoutOrg } = valid;

const malformed: ReadonlyArray<readonly [string, unknown]> = [
  ['a payload that is an array', [valid]],
  ['no sub', withoutSub],
  ['no org', withoutOrg],
  ['no role', withoutRole],
  ['no backend', withoutBackend],
  ['no secret', withoutSecret],
  ['no max_bytes', withoutMaxBytes],
  ['no exp', withoutExp],
  ['no jti', withoutJti],
  ['an empty sub', { ...valid, sub: '' }],
  ['a numeric org', { ...valid, org: 42 }],
  ['an unknown role', { ...valid, role: 'admin' }],
  ['a backend that is a string', { ...valid, backend: 'backend-1' }],
  ['a backend without location', { ...valid, backend: { id: 'b', provider: 'oci' } }],
  ['an unknown provider', { ...valid, backend: { id: 'b', provider: 'ftp', location: 'x' } }],
  ['a numeric backend id', { ...valid, backend: { id: 7, provider: 'oci', location: 'x' } }],
  ['a numeric secret', { ...valid, secret: 5 }],
  ['a negative max_bytes', { ...valid, max_bytes: -1 }],
  ['a fractional max_bytes', { ...valid, max_bytes: 1.5 }],
  ['max_bytes as a string', { ...valid, max_bytes: '10' }],
  ['max_bytes beyond safe integers', { ...valid, max_bytes: 2 ** 53 }],
  ['exp as a string', { ...valid, exp: String(now / 1000 + 300) }],
  ['an uppercase digest', { ...valid, digest: blobDigest.toUpperCase().replace('SHA256', 'sha256') }],
  ['a digest without algorithm', { ...valid, digest: 'ab'.repeat(32) }],
  ['a short digest', { ...valid, digest: 'sha256:abcd' }],
  ['a digest on an upload token', { ...valid, role: 'upload', digest: blobDigest }],
  ['an audience list', { ...valid, aud: [CAS_TOKEN_DEFAULTS.audience] }],
  ['nbf as a string', { ...valid, nbf: 'now' }],
];

describe('claims checks', () => {
  let key: SigningKey;
  let verifier: CasTokenVerifier;
  beforeAll(async () => {
    key = await generateSigningKey();
    verifier = createCasTokenVerifier({
      issuer: CAS_TOKEN_DEFAULTS.issuer,
      audience: CAS_TOKEN_DEFAULTS.audience,
      keys: { kind: 'jwks', jwks: publicJwks(key) },
      clock: () => now,
    });
  });

  it.each(malformed)('refuses %s as UNAUTHENTICATED', async (_name, payload) => {
    const token = await signRaw(key, payload);
    await expectRefusal(
      verifier.verify(token, { role: 'download' }),
      token,
      Code.Unauthenticated,
      'claims_malformed',
    );
  });

  it('refuses a genuinely signed payload that is not JSON', async () => {
    const token = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'cairn-cas+jwt' })
      .sign(key.privateKey);
    await expectRefusal(
      verifier.verify(token, { role: 'download' }),
      token,
      Code.Unauthenticated,
      'claims_malformed',
    );
  });
});
