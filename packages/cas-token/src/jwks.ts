import { SigningKeyRing } from './key-ring.js';
import type { PublicSigningJwk, SigningKey } from './signing-key.js';

/** A JSON Web Key Set as served at `/.well-known/jwks.json`. */
export interface JsonWebKeySet {
  readonly keys: readonly PublicSigningJwk[];
}

/** Media type of a JWKS document (RFC 7517 §8.5). */
export const JWKS_MEDIA_TYPE = 'application/jwk-set+json';

/**
 * The public JWKS of a ring (or of a single key): every key that may still verify, with only public
 * members plus `kid`, `alg` and `use`. Safe to serve to anyone.
 */
export function publicJwks(keys: SigningKeyRing | SigningKey): JsonWebKeySet {
  const all = keys instanceof SigningKeyRing ? keys.keys : [keys];
  // Copied member by member, so nothing private can ride along whatever the key object holds.
  return {
    keys: all.map(({ publicJwk: { kty, crv, x, y, kid, alg, use } }) => ({ kty, crv, x, y, kid, alg, use })),
  };
}
