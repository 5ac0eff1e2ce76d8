import { CairnError, Code } from '@cairn/errors';
import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { publicJwks } from './jwks.js';
import { SigningKeyRing } from './key-ring.js';
import { exportPrivateJwk, generateSigningKey, importSigningKey } from './signing-key.js';

describe('signing keys', () => {
  it('names a key by its RFC 7638 thumbprint and survives export and import', async () => {
    const key = await generateSigningKey();
    const { kty, crv, x, y } = key.publicJwk;
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256'));
    const reloaded = await importSigningKey(await exportPrivateJwk(key));
    expect(reloaded.kid).toBe(key.kid);
    expect(reloaded.publicJwk).toEqual(key.publicJwk);
  });

  it('refuses a private scalar paired with another key’s public point, without quoting either', async () => {
    const first = await exportPrivateJwk(await generateSigningKey());
    const second = await exportPrivateJwk(await generateSigningKey());
    const error = await importSigningKey({ ...first, d: second.d }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).code).toBe(Code.InvalidArgument);
    expect((error as CairnError).message).not.toContain(second.d);
    expect((error as CairnError).cause).toBeUndefined();
  });

  it('refuses keys that are not P-256', async () => {
    await expect(importSigningKey({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'y' })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    await expect(importSigningKey('not a key')).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});

describe('SigningKeyRing and publicJwks', () => {
  it('publishes every key of the ring with public members only', async () => {
    const old = await generateSigningKey();
    const next = await generateSigningKey();
    const ring = new SigningKeyRing(old).rotate(next);
    expect(ring.active.kid).toBe(next.kid);
    const jwks = publicJwks(ring);
    expect(jwks.keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);
    for (const key of jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256' });
    }
  });

  it('pre-publishes with withKey, activates with rotate and drops retired keys', async () => {
    const first = await generateSigningKey();
    const second = await generateSigningKey();
    const prepared = new SigningKeyRing(first).withKey(second);
    expect(prepared.active.kid).toBe(first.kid);
    expect(prepared.keys.map((key) => key.kid)).toEqual([first.kid, second.kid]);
    const rotated = prepared.rotate(second);
    expect(rotated.active.kid).toBe(second.kid);
    expect(rotated.keys).toHaveLength(2);
    const retired = rotated.withoutKey(first.kid);
    expect(retired.keys.map((key) => key.kid)).toEqual([second.kid]);
    expect(retired.find(first.kid)).toBeUndefined();
    expect(() => retired.withoutKey(second.kid)).toThrow(
      expect.objectContaining({ code: Code.FailedPrecondition }),
    );
  });
});
