import { CairnError, Code } from '@cairn/errors';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import { CAS_TOKEN_ALGORITHM } from './constants.js';

/** The public half of a signing key as published in the JWKS. */
export interface PublicSigningJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  /** RFC 7638 SHA-256 thumbprint of the public key. */
  readonly kid: string;
  readonly alg: typeof CAS_TOKEN_ALGORITHM;
  readonly use: 'sig';
}

/** A signing key as stored on disk or in a secret store. Treat it as a secret. */
export interface PrivateSigningJwk extends PublicSigningJwk {
  readonly d: string;
}

/** An ES256 key pair that signs CAS tokens. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: PublicSigningJwk;
}

/** Creates a fresh ES256 (P-256) signing key whose `kid` is its RFC 7638 thumbprint. */
export async function generateSigningKey(): Promise<SigningKey> {
  const pair = await generateKeyPair(CAS_TOKEN_ALGORITHM, { extractable: true });
  return importSigningKey(await exportJWK(pair.privateKey));
}

/**
 * Rebuilds a signing key from a private JWK (as written by `exportPrivateJwk`). The `kid` is always
 * recomputed from the public key, so a hand-edited `kid` cannot make two keys share an id.
 * INVALID_ARGUMENT when the value is not a P-256 private key or its halves do not match.
 */
export async function importSigningKey(jwk: unknown): Promise<SigningKey> {
  const { x, y, d } = ecPrivateMembers(jwk);
  const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x, y }, 'sha256');
  const publicJwk: PublicSigningJwk = {
    kty: 'EC',
    crv: 'P-256',
    x,
    y,
    kid,
    alg: CAS_TOKEN_ALGORITHM,
    use: 'sig',
  };
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  try {
    privateKey = await importJWK({ kty: 'EC', crv: 'P-256', x, y, d }, CAS_TOKEN_ALGORITHM, {
      extractable: true,
    });
    publicKey = await importJWK({ kty: 'EC', crv: 'P-256', x, y }, CAS_TOKEN_ALGORITHM);
  } catch {
    // The cause would carry key material; it stays out of the error.
    throw notAKey('its coordinates are not a valid P-256 key');
  }
  await proveHalvesMatch(privateKey, publicKey);
  return { kid, privateKey, publicKey, publicJwk };
}

/** The private JWK of a key, for storing it. The result is a secret: never log it. */
export async function exportPrivateJwk(key: SigningKey): Promise<PrivateSigningJwk> {
  const { d } = await exportJWK(key.privateKey);
  if (typeof d !== 'string') {
    throw new CairnError(
      Code.Internal,
      `signing key ${key.kid} cannot be exported; it was not created extractable`,
    );
  }
  return { ...key.publicJwk, d };
}

function ecPrivateMembers(jwk: unknown): { x: string; y: string; d: string } {
  if (typeof jwk !== 'object' || jwk === null) throw notAKey('it is not a JSON object');
  const { kty, crv, x, y, d } = jwk as Record<string, unknown>;
  if (kty !== 'EC' || crv !== 'P-256') throw notAKey("it must have kty 'EC' and crv 'P-256'");
  if (typeof x !== 'string' || typeof y !== 'string' || typeof d !== 'string') {
    throw notAKey("it needs the members 'x', 'y' and 'd'");
  }
  return { x, y, d };
}

// A corrupted key file could pair a private scalar with someone else's public point; signing once and
// verifying with the published half catches that before any token goes out.
async function proveHalvesMatch(privateKey: CryptoKey, publicKey: CryptoKey): Promise<void> {
  const algorithm = { name: 'ECDSA', hash: 'SHA-256' };
  const probe = new TextEncoder().encode('cairn signing key self-test');
  const signature = await crypto.subtle.sign(algorithm, privateKey, probe);
  if (!(await crypto.subtle.verify(algorithm, publicKey, signature, probe))) {
    throw notAKey('its private and public halves do not belong together');
  }
}

function notAKey(reason: string): CairnError {
  return new CairnError(Code.InvalidArgument, `the signing key is not an ES256 private JWK: ${reason}`);
}
