import { createHmac } from 'node:crypto';
import { Code } from '@cairn/errors';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAS_TOKEN_DEFAULTS } from './constants.js';
import { publicJwks } from './jwks.js';
import { mintCasToken } from './mint.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';
import { expectRefusal } from './testing/refusals.js';
import {
  blobDigest,
  downloadGrant,
  otherBlobDigest,
  signRaw,
  unsignedToken,
  uploadGrant,
  validPayload,
} from './testing/tokens.js';
import { type CasTokenVerifier, createCasTokenVerifier } from './verify.js';

const now = Date.UTC(2030, 0, 1, 12);
const nowSeconds = now / 1000;
const atNow = { clock: () => now };

describe('createCasTokenVerifier', () => {
  let key: SigningKey;
  let stranger: SigningKey;
  let verifier: CasTokenVerifier;
  beforeAll(async () => {
    key = await generateSigningKey();
    stranger = await generateSigningKey();
    verifier = createCasTokenVerifier({
      issuer: CAS_TOKEN_DEFAULTS.issuer,
      audience: CAS_TOKEN_DEFAULTS.audience,
      keys: { kind: 'jwks', jwks: publicJwks(key) },
      ...atNow,
    });
  });

  describe('accepts', () => {
    it('a download token and returns exactly its claims', async () => {
      const token = await mintCasToken(key, downloadGrant({ jti: 'j-1' }), atNow);
      const claims = await verifier.verify(token, { role: 'download', digest: blobDigest });
      expect(claims).toEqual({
        ...downloadGrant(),
        jti: 'j-1',
        iss: CAS_TOKEN_DEFAULTS.issuer,
        aud: CAS_TOKEN_DEFAULTS.audience,
        iat: nowSeconds,
        exp: nowSeconds + 300,
      });
    });

    it('an upload token', async () => {
      const token = await mintCasToken(key, uploadGrant(), atNow);
      await expect(verifier.verify(token, { role: 'upload' })).resolves.toMatchObject({
        max_bytes: 10485760,
      });
    });

    it('a digest-bound download token for its own blob', async () => {
      const token = await mintCasToken(key, downloadGrant({ digest: blobDigest }), atNow);
      await expect(verifier.verify(token, { role: 'download', digest: blobDigest })).resolves.toMatchObject({
        digest: blobDigest,
      });
    });

    it('a token that expired within the clock tolerance, and drops unknown claims', async () => {
      const token = await signRaw(key, { ...validPayload(nowSeconds - 310), extra: 'x' });
      const claims = await verifier.verify(token, { role: 'download' });
      expect(claims).not.toHaveProperty('extra');
    });
  });

  describe('refuses as UNAUTHENTICATED', () => {
    it('no token at all', async () => {
      const refusal = await expectRefusal(
        verifier.verify('', { role: 'download' }),
        '',
        Code.Unauthenticated,
        'token_missing',
      );
      expect(refusal.message).toContain('Authorization: Bearer');
    });

    it('garbage', async () => {
      for (const garbage of ['not-a-jwt', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.e30', `${'x'.repeat(9000)}.y.z`]) {
        await expectRefusal(
          verifier.verify(garbage, { role: 'download' }),
          garbage,
          Code.Unauthenticated,
          'token_malformed',
        );
      }
    });

    it('alg: none', async () => {
      const token = unsignedToken(validPayload(nowSeconds), { kid: key.kid });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'algorithm_refused',
      );
    });

    it('HS256 signed with the public key as the secret (key confusion)', async () => {
      const secrets = [
        new TextEncoder().encode(await exportSPKI(key.publicKey)),
        new TextEncoder().encode(JSON.stringify(key.publicJwk)),
      ];
      for (const secret of secrets) {
        const token = await new SignJWT(validPayload(nowSeconds))
          .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'cairn-cas+jwt' })
          .sign(secret);
        await expectRefusal(
          verifier.verify(token, { role: 'download' }),
          token,
          Code.Unauthenticated,
          'algorithm_refused',
        );
      }
    });

    it('HS256 with the header claiming ES256 (signature of the wrong kind)', async () => {
      const token = await signRaw(key, validPayload(nowSeconds));
      const [header, payload] = token.split('.');
      const mac = createHmac('sha256', JSON.stringify(key.publicJwk))
        .update(`${header}.${payload}`)
        .digest('base64url');
      const forged = `${header}.${payload}.${mac}`;
      await expectRefusal(
        verifier.verify(forged, { role: 'download' }),
        forged,
        Code.Unauthenticated,
        'signature_invalid',
      );
    });

    it('RS256, even naming a trusted kid', async () => {
      const rsa = await generateKeyPair('RS256');
      const token = await new SignJWT(validPayload(nowSeconds))
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'cairn-cas+jwt' })
        .sign(rsa.privateKey);
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'algorithm_refused',
      );
    });

    it('a token without kid', async () => {
      const token = await signRaw(key, validPayload(nowSeconds), { kid: undefined });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'kid_missing',
      );
    });

    it('an unknown kid', async () => {
      const token = await mintCasToken(stranger, downloadGrant(), atNow);
      const refusal = await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'kid_unknown',
      );
      expect(refusal.message).toContain(stranger.kid);
    });

    it('a token signed by another key under a trusted kid', async () => {
      const token = await signRaw(stranger, validPayload(nowSeconds), { kid: key.kid });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'signature_invalid',
      );
    });

    it('a token whose payload was altered after signing', async () => {
      const token = await mintCasToken(key, downloadGrant({ digest: blobDigest }), atNow);
      const [header, , signature] = token.split('.');
      const altered = Buffer.from(
        JSON.stringify({ ...validPayload(nowSeconds), digest: otherBlobDigest }),
      ).toString('base64url');
      const forged = `${header}.${altered}.${signature}`;
      await expectRefusal(
        verifier.verify(forged, { role: 'download', digest: otherBlobDigest }),
        forged,
        Code.Unauthenticated,
        'signature_invalid',
      );
    });

    it('a JWT of another type signed by the same key', async () => {
      const token = await signRaw(key, validPayload(nowSeconds), { typ: 'JWT' });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'type_refused',
      );
    });

    it('a wrong issuer', async () => {
      const token = await mintCasToken(key, downloadGrant(), { ...atNow, issuer: 'someone-else' });
      const refusal = await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'issuer_mismatch',
      );
      expect(refusal.message).toContain('someone-else');
    });

    it('a wrong audience', async () => {
      const token = await mintCasToken(key, downloadGrant(), { ...atNow, audience: 'another-cas' });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'audience_mismatch',
      );
    });

    it('an expired token, saying when it expired and what to do', async () => {
      const token = await mintCasToken(key, downloadGrant(), { clock: () => now - 400_000 });
      const refusal = await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'token_expired',
      );
      expect(refusal.message).toBe(
        'the CAS token expired at 2030-01-01T11:58:20.000Z; rerun the `cairn` command (it fetches a fresh CAS token from the control plane each time), or get one with `cairn cas-token create`',
      );
    });

    it('a token issued in the future', async () => {
      const token = await mintCasToken(key, downloadGrant(), { clock: () => now + 120_000 });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'token_not_yet_valid',
      );
    });

    it('a token whose nbf is in the future', async () => {
      const token = await signRaw(key, { ...validPayload(nowSeconds), nbf: nowSeconds + 120 });
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.Unauthenticated,
        'token_not_yet_valid',
      );
    });
  });

  describe('refuses as PERMISSION_DENIED', () => {
    it('a download token used for an upload, naming the command that makes the right one', async () => {
      const token = await mintCasToken(key, downloadGrant(), atNow);
      const refusal = await expectRefusal(
        verifier.verify(token, { role: 'upload' }),
        token,
        Code.PermissionDenied,
        'role_mismatch',
      );
      expect(refusal.message).toBe(
        'this CAS token allows downloads, not uploads; get an upload token with `cairn cas-token create --role upload`',
      );
    });

    it('an upload token used for a download', async () => {
      const token = await mintCasToken(key, uploadGrant(), atNow);
      await expectRefusal(
        verifier.verify(token, { role: 'download', digest: blobDigest }),
        token,
        Code.PermissionDenied,
        'role_mismatch',
      );
    });

    it('a digest-bound token used for another blob, or for no blob in particular', async () => {
      const token = await mintCasToken(key, downloadGrant({ digest: blobDigest }), atNow);
      const refusal = await expectRefusal(
        verifier.verify(token, { role: 'download', digest: otherBlobDigest }),
        token,
        Code.PermissionDenied,
        'digest_mismatch',
      );
      expect(refusal.message).toBe(
        `this CAS token is bound to another blob than the one requested; get a token for this blob with \`cairn cas-token create --role download --digest ${otherBlobDigest}\``,
      );
      await expectRefusal(
        verifier.verify(token, { role: 'download' }),
        token,
        Code.PermissionDenied,
        'digest_mismatch',
      );
    });
  });

  it('still checks the claims and the request of a token whose signature it verified before', async () => {
    let clock = now;
    const reusing = createCasTokenVerifier({
      issuer: CAS_TOKEN_DEFAULTS.issuer,
      audience: CAS_TOKEN_DEFAULTS.audience,
      keys: { kind: 'jwks', jwks: publicJwks(key) },
      clock: () => clock,
    });
    const token = await mintCasToken(key, downloadGrant({ digest: blobDigest }), atNow);
    await reusing.verify(token, { role: 'download', digest: blobDigest });
    await expectRefusal(
      reusing.verify(token, { role: 'upload' }),
      token,
      Code.PermissionDenied,
      'role_mismatch',
    );
    await expectRefusal(
      reusing.verify(token, { role: 'download', digest: otherBlobDigest }),
      token,
      Code.PermissionDenied,
      'digest_mismatch',
    );
    clock = now + 400_000;
    await expectRefusal(
      reusing.verify(token, { role: 'download', digest: blobDigest }),
      token,
      Code.Unauthenticated,
      'token_expired',
    );
  });

  it('turns an aborted signal into CANCELED', async () => {
    const token = await mintCasToken(key, downloadGrant(), atNow);
    await expect(verifier.verify(token, { role: 'download' }, AbortSignal.abort())).rejects.toMatchObject({
      code: Code.Canceled,
    });
  });

  it('reports a misconfigured fixed JWKS as FAILED_PRECONDITION', async () => {
    const misconfigured = createCasTokenVerifier({
      issuer: 'i',
      audience: 'a',
      keys: { kind: 'jwks', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    });
    const token = await mintCasToken(key, downloadGrant());
    await expect(misconfigured.verify(token, { role: 'download' })).rejects.toMatchObject({
      code: Code.FailedPrecondition,
    });
  });
});
