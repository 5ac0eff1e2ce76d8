import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAS_TOKEN_DEFAULTS, CAS_TOKEN_TYPE } from './constants.js';
import { publicJwks } from './jwks.js';
import type { RefusalReason } from './refusal.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';
import { blobDigest, otherBlobDigest, signRaw, validPayload } from './testing/tokens.js';
import { type CasTokenExpectation, type CasTokenVerifier, createCasTokenVerifier } from './verify.js';

const now = Date.UTC(2030, 0, 1, 12);
const nowSeconds = now / 1000;
const tolerance = CAS_TOKEN_DEFAULTS.clockToleranceSeconds;
const { issuer, audience } = CAS_TOKEN_DEFAULTS;
const providers = ['filesystem', 'oci', 'aws-s3', 'azure-blob'];

type Json = Record<string, unknown>;

/**
 * Whether the CAS must accept `payload` for `expectation` (DESIGN.md, "CAS tokens"), written apart from
 * the code: every claim there with its type, iss and aud this CAS's, current within the tolerance, the
 * role asked for, and a digest binding only on downloads and only to the blob asked for.
 */
function acceptable(payload: unknown, expectation: CasTokenExpectation): payload is Json {
  const text = (value: unknown) => typeof value === 'string' && value !== '';
  const time = (value: unknown): value is number =>
    typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return false;
  const p = payload as Json;
  const backend = p.backend as Json | null | undefined;
  const wellTyped =
    text(p.iss) &&
    text(p.aud) &&
    time(p.iat) &&
    time(p.exp) &&
    text(p.jti) &&
    text(p.sub) &&
    text(p.org) &&
    (p.role === 'upload' || p.role === 'download') &&
    typeof backend === 'object' &&
    backend !== null &&
    !Array.isArray(backend) &&
    text(backend.id) &&
    providers.includes(backend.provider as string) &&
    text(backend.location) &&
    typeof p.secret === 'string' &&
    Number.isSafeInteger(p.max_bytes) &&
    (p.max_bytes as number) >= 0 &&
    (p.digest === undefined ||
      (p.role === 'download' && typeof p.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(p.digest))) &&
    (p.nbf === undefined || time(p.nbf));
  return (
    wellTyped &&
    p.iss === issuer &&
    p.aud === audience &&
    (p.exp as number) > nowSeconds - tolerance &&
    (p.iat as number) <= nowSeconds + tolerance &&
    (p.nbf === undefined || (p.nbf as number) <= nowSeconds + tolerance) &&
    p.role === expectation.role &&
    (p.digest === undefined || p.digest === expectation.digest)
  );
}

const ABSENT = Symbol('absent');

const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });
const anyTime = fc.oneof(
  fc.integer({ min: -40, max: 40 }).map((delta) => nowSeconds + delta),
  fc.double({ min: nowSeconds - 40, max: nowSeconds + 40, noNaN: true }),
  fc.nat({ max: nowSeconds * 2 }),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER, nowSeconds - tolerance, nowSeconds + tolerance),
);

/** A payload whose claims have the right types and are current, though not always for this request. */
const typedPayload = fc.record({
  iss: fc.constant(issuer),
  aud: fc.constant(audience),
  iat: fc.integer({ min: nowSeconds - 600, max: nowSeconds + tolerance }),
  exp: fc.integer({ min: nowSeconds - tolerance + 1, max: nowSeconds + 86_400 }),
  jti: text,
  sub: text,
  org: text,
  role: fc.constantFrom('upload', 'download'),
  backend: fc.record({ id: text, provider: fc.constantFrom(...providers), location: text }),
  secret: fc.string({ unit: 'binary', maxLength: 20 }),
  max_bytes: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
  digest: fc.constantFrom(ABSENT, blobDigest, otherBlobDigest),
  nbf: fc.oneof(fc.constant(ABSENT), fc.integer({ min: 0, max: nowSeconds + tolerance })),
});

const wrongText = fc.constantFrom<unknown>(ABSENT, '', 7, null, true, ['x'], {});
const wrongTime = fc.oneof(
  // Either side of the clock tolerance, where exp, nbf and iat stop or start counting.
  { weight: 2, arbitrary: fc.constantFrom(-1, 0, 0.5, 1).map((d) => nowSeconds - tolerance + d) },
  { weight: 2, arbitrary: fc.constantFrom(-1, 0, 0.5, 1).map((d) => nowSeconds + tolerance + d) },
  anyTime,
  fc.constantFrom<unknown>(ABSENT, 'now', '1893499200', null, -1, [nowSeconds]),
);

/** For each claim, what it may be replaced with: wrong types, near-misses, edge values, some valid. */
const edits: Record<string, fc.Arbitrary<unknown>> = {
  iss: fc.oneof(wrongText, fc.constantFrom(issuer, ` ${issuer}`, issuer.toUpperCase(), audience)),
  aud: fc.oneof(wrongText, fc.constantFrom(audience, `${audience} `, [audience], issuer)),
  iat: wrongTime,
  exp: wrongTime,
  nbf: wrongTime,
  jti: fc.oneof(wrongText, text),
  sub: fc.oneof(wrongText, text),
  org: fc.oneof(wrongText, text),
  role: fc.constantFrom<unknown>(ABSENT, 'upload', 'download', 'Download', 'UPLOAD', 'admin', '', null, 1, [
    'upload',
  ]),
  backend: fc.constantFrom<unknown>(
    ABSENT,
    null,
    'backend-1',
    [],
    { id: 'b', provider: 'oci' },
    { id: 'b', provider: 'ftp', location: 'x' },
    { id: 7, provider: 'oci', location: 'x' },
    { id: 'b', provider: 'oci', location: '' },
    { id: 'b', provider: 'OCI', location: 'x' },
    { id: 'b', provider: 'oci', location: 'x', extra: 1 },
  ),
  'backend.id': fc.oneof(wrongText, text),
  'backend.provider': fc.constantFrom<unknown>(ABSENT, 'ftp', 'S3', 'aws-s3 ', '', null, ...providers),
  'backend.location': fc.oneof(wrongText, text),
  secret: fc.oneof(wrongText, fc.string({ maxLength: 4 })),
  max_bytes: fc.constantFrom<unknown>(
    ABSENT,
    -1,
    1.5,
    '10',
    2 ** 53,
    Number.MAX_SAFE_INTEGER,
    0,
    null,
    1e308,
  ),
  digest: fc.constantFrom<unknown>(
    ABSENT,
    blobDigest,
    otherBlobDigest,
    blobDigest.toUpperCase(),
    blobDigest.replace('sha256:', 'SHA256:'),
    blobDigest.slice('sha256:'.length),
    `${blobDigest}\n`,
    'sha256:abcd',
    null,
    '',
  ),
  extra: fc.jsonValue({ maxDepth: 2 }),
};
const edit = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(...Object.keys(edits))
      .chain((name) => fc.tuple(fc.constant(name), edits[name] ?? fc.constant(ABSENT))),
  },
  fc.tuple(fc.constantFrom(...Object.keys(edits)), fc.jsonValue({ maxDepth: 2 })),
);

const perturbedPayload = fc
  .tuple(typedPayload, fc.oneof(fc.constant([]), fc.array(edit, { minLength: 1, maxLength: 3 })))
  .map(([typed, changes]) => {
    const payload: Json = {
      ...typed,
      backend: { ...typed.backend },
      digest: typed.role === 'download' ? typed.digest : ABSENT,
    };
    for (const [name, value] of changes) {
      const [outer = '', inner] = name.split('.');
      const target = inner === undefined ? payload : (payload[outer] as Json);
      if (typeof target !== 'object' || target === null) continue;
      (target as Json)[inner ?? outer] = value;
    }
    return JSON.parse(JSON.stringify(payload, (_key, value) => (value === ABSENT ? undefined : value)));
  });

const payload = fc.oneof({ weight: 5, arbitrary: perturbedPayload }, fc.jsonValue({ maxDepth: 3 }));

const otherRequest = fc.oneof(
  fc.constant<CasTokenExpectation>({ role: 'upload' }),
  fc.constant<CasTokenExpectation>({ role: 'download' }),
  fc
    .constantFrom(blobDigest, otherBlobDigest, 'sha256:HEX')
    .map((digest): CasTokenExpectation => ({ role: 'download', digest })),
);

/** A payload and a request: mostly the request its role and digest are for, else any. */
const payloadAndRequest = fc
  .tuple(payload, fc.boolean(), otherRequest)
  .map(([claims, fits, other]): [unknown, CasTokenExpectation] => {
    const { role, digest } = (claims ?? {}) as Json;
    if (!fits || (role !== 'upload' && role !== 'download')) return [claims, other];
    return [claims, { role, ...(typeof digest === 'string' ? { digest } : {}) }];
  });

const reasons: RefusalReason[] = [
  'claims_malformed',
  'issuer_mismatch',
  'audience_mismatch',
  'token_expired',
  'token_not_yet_valid',
  'role_mismatch',
  'digest_mismatch',
];

/** The refusal of `token`, checked to be a CairnError that never quotes the token; undefined when accepted. */
async function refusalOf(
  verifier: CasTokenVerifier,
  token: string,
  wanted: CasTokenExpectation,
): Promise<{ claims: unknown } | { error: CairnError }> {
  try {
    return { claims: await verifier.verify(token, wanted) };
  } catch (error) {
    expect(error).toBeInstanceOf(CairnError);
    const refusal = error as CairnError;
    for (const part of token.split('.').filter((segment) => segment.length >= 8)) {
      expect(refusal.message).not.toContain(part);
    }
    return { error: refusal };
  }
}

describe('CAS token properties', () => {
  let key: SigningKey;
  let verifier: CasTokenVerifier;
  beforeAll(async () => {
    key = await generateSigningKey();
    verifier = createCasTokenVerifier({
      issuer,
      audience,
      keys: { kind: 'jwks', jwks: publicJwks(key) },
      clock: () => now,
    });
  });

  it('a payload signed by the trusted key is accepted exactly when its claims are well-typed, current and fit the request, and yields exactly those claims', async () => {
    await fc.assert(
      fc.asyncProperty(payloadAndRequest, async ([claims, wanted]) => {
        const token = await signRaw(key, claims);
        const outcome = await refusalOf(verifier, token, wanted);
        if (!acceptable(claims, wanted)) {
          if (!('error' in outcome)) throw new Error(`accepted ${JSON.stringify(claims)}`);
          const { code, details } = outcome.error;
          expect(reasons).toContain(details.reason);
          // A genuine token for another role or blob is PERMISSION_DENIED; one that proves nothing, UNAUTHENTICATED.
          const genuine = details.reason === 'role_mismatch' || details.reason === 'digest_mismatch';
          expect(code).toBe(genuine ? Code.PermissionDenied : Code.Unauthenticated);
          return;
        }
        const { backend } = claims as { backend: Json };
        expect(outcome).toEqual({
          claims: {
            iss: claims.iss,
            aud: claims.aud,
            iat: claims.iat,
            exp: claims.exp,
            jti: claims.jti,
            sub: claims.sub,
            org: claims.org,
            role: claims.role,
            backend: { id: backend.id, provider: backend.provider, location: backend.location },
            secret: claims.secret,
            max_bytes: claims.max_bytes,
            ...(claims.digest === undefined ? {} : { digest: claims.digest }),
          },
        });
      }),
      { numRuns: 800 },
    );
  });

  it('a well-typed token is current exactly while exp, iat and nbf lie within the clock tolerance', async () => {
    const times = fc.record({
      iat: wrongTime.filter((value) => typeof value === 'number'),
      exp: wrongTime.filter((value) => typeof value === 'number'),
      nbf: fc.oneof(
        fc.constant(ABSENT),
        wrongTime.filter((value) => typeof value === 'number'),
      ),
    });
    await fc.assert(
      fc.asyncProperty(times, async ({ nbf, ...rest }) => {
        const claims = { ...validPayload(nowSeconds), ...rest, ...(nbf === ABSENT ? {} : { nbf }) };
        const outcome = await refusalOf(verifier, await signRaw(key, claims), { role: 'download' });
        expect('claims' in outcome).toBe(acceptable(claims, { role: 'download' }));
        if ('error' in outcome) {
          expect(['token_expired', 'token_not_yet_valid', 'claims_malformed']).toContain(
            outcome.error.details.reason,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a header whose alg is anything but ES256 is refused, even with a valid ES256 signature by the trusted key', async () => {
    const alg = fc
      .oneof(
        fc.constantFrom(
          ABSENT,
          'none',
          'None',
          'NONE',
          'nOnE',
          'HS256',
          'HS384',
          'HS512',
          'RS256',
          'PS256',
          'ES384',
          'ES512',
          'ES256K',
          'EdDSA',
          'es256',
          'Es256',
          'ES256 ',
          ' ES256',
          'ES256\u0000',
          'ES 256',
          'ES-256',
          'ECDSA',
          '',
        ),
        fc.string({ maxLength: 8 }),
        fc.jsonValue({ maxDepth: 1 }),
        fc.constant(['ES256']),
      )
      .filter((value) => value !== 'ES256');
    await fc.assert(
      fc.asyncProperty(alg, async (value) => {
        const header = { ...(value === ABSENT ? {} : { alg: value }), kid: key.kid, typ: CAS_TOKEN_TYPE };
        const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
        const input = `${encode(header)}.${encode(validPayload(nowSeconds))}`;
        const signature = await crypto.subtle.sign(
          { name: 'ECDSA', hash: 'SHA-256' },
          key.privateKey,
          new TextEncoder().encode(input),
        );
        const token = `${input}.${Buffer.from(signature).toString('base64url')}`;
        const outcome = await refusalOf(verifier, token, { role: 'download' });
        expect('error' in outcome && outcome.error.code).toBe(Code.Unauthenticated);
        expect('error' in outcome && outcome.error.details.reason).toBe('algorithm_refused');
      }),
      { numRuns: 200 },
    );
  });
});
