import { Code } from '@cairn/errors';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCasClaims } from './claims-check.js';
import { publicJwks } from './jwks.js';
import { SigningKeyRing } from './key-ring.js';
import { mintCasToken } from './mint.js';
import { exportPrivateJwk, generateSigningKey, importSigningKey, type SigningKey } from './signing-key.js';
import { blobDigest, downloadGrant, uploadGrant } from './testing/tokens.js';
import { createCasTokenVerifier } from './verify.js';

describe('mintCasToken', () => {
  let key: SigningKey;
  beforeAll(async () => {
    key = await generateSigningKey();
  });

  it('signs ES256 with kid and typ, and fills iss, aud, iat, exp (300 s) and a random jti', async () => {
    const now = Date.UTC(2030, 0, 1);
    const token = await mintCasToken(key, downloadGrant({ digest: blobDigest }), { clock: () => now });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: key.kid, typ: 'cairn-cas+jwt' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: 'cairn-controlplane',
      aud: 'cairn-artifact-cas',
      iat: now / 1000,
      exp: now / 1000 + 300,
      role: 'download',
      digest: blobDigest,
    });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    const again = decodeJwt(await mintCasToken(key, downloadGrant(), { clock: () => now }));
    expect(again.jti).not.toBe(claims.jti);
  });

  it('signs with the active key of a ring and honours issuer, audience, lifetime and jti', async () => {
    const next = await generateSigningKey();
    const ring = new SigningKeyRing(key).rotate(next);
    const token = await mintCasToken(ring, uploadGrant({ jti: 'run-7' }), {
      issuer: 'https://cp.example',
      audience: 'cas-eu',
      lifetimeSeconds: 60,
    });
    expect(decodeProtectedHeader(token).kid).toBe(next.kid);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'https://cp.example', aud: 'cas-eu', jti: 'run-7' });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
  });

  it('refuses to mint a token the CAS would refuse', async () => {
    await expect(mintCasToken(key, downloadGrant({ max_bytes: -1 }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: expect.stringContaining('max_bytes'),
    });
    await expect(mintCasToken(key, uploadGrant({ digest: blobDigest }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    await expect(mintCasToken(key, downloadGrant({ digest: 'sha256:ABC' }))).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
  });

  it('refuses a lifetime that is not 1 to 86400 whole seconds', async () => {
    for (const lifetimeSeconds of [0, -5, 1.5, 86_401, Number.NaN]) {
      await expect(mintCasToken(key, downloadGrant(), { lifetimeSeconds })).rejects.toMatchObject({
        code: Code.InvalidArgument,
      });
    }
  });

  it("writes the same header and claims bytes as jose's SignJWT, and jose verifies the signature", async () => {
    const now = Date.UTC(2030, 0, 1);
    const grant = downloadGrant({ digest: blobDigest, jti: 'jti-fixed' });
    const token = await mintCasToken(key, grant, { clock: () => now });
    const [header, payload, signature] = token.split('.');
    // What the minter signed with jose before: the checked claims, in readCasClaims's member order.
    const reading = readCasClaims({
      ...grant,
      iss: 'cairn-controlplane',
      aud: 'cairn-artifact-cas',
      iat: now / 1000,
      exp: now / 1000 + 300,
    });
    if (!('claims' in reading)) throw new Error(reading.problem);
    const reference = await new SignJWT({ ...reading.claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'cairn-cas+jwt' })
      .sign(key.privateKey);
    const [referenceHeader, referencePayload] = reference.split('.');
    expect(header).toBe(referenceHeader);
    expect(payload).toBe(referencePayload);
    // ES256 in a JWS is r||s, 64 bytes; a DER signature would be longer and vary in length.
    expect(Buffer.from(signature ?? '', 'base64url')).toHaveLength(64);
    const publicKey = await importJWK(key.publicJwk, 'ES256');
    await expect(compactVerify(token, publicKey)).resolves.toBeDefined();
  });

  it('a token minted with a key read back from its JWK passes the CAS verifier', async () => {
    const reread = await importSigningKey(await exportPrivateJwk(key));
    const token = await mintCasToken(reread, uploadGrant());
    const verifier = createCasTokenVerifier({
      issuer: 'cairn-controlplane',
      audience: 'cairn-artifact-cas',
      keys: { kind: 'jwks', jwks: publicJwks(new SigningKeyRing(key)) },
    });
    await expect(
      verifier.verify(token, { role: 'upload' }, AbortSignal.timeout(5_000)),
    ).resolves.toMatchObject({
      role: 'upload',
    });
  });
});
