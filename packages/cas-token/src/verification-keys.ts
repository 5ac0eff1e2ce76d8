import { type CryptoKey, calculateJwkThumbprint, importJWK } from 'jose';
import { CAS_TOKEN_ALGORITHM } from './constants.js';

/** Public keys that may verify CAS tokens, by `kid`. */
export type VerificationKeys = ReadonlyMap<string, CryptoKey>;

/**
 * Imports the ES256 keys of a JWKS document, or of a single JWK (public or private: a private key file
 * shared with the control plane in development). Only the public members are imported. Keys of other
 * types, curves, algorithms or uses are skipped, so a JWKS may carry keys for other purposes; a document
 * with no usable key at all is a problem, since trusting nothing refuses every token.
 */
export async function importVerificationKeys(
  document: unknown,
): Promise<{ readonly keys: VerificationKeys } | { readonly problem: string }> {
  if (!isRecord(document)) return { problem: 'it is not a JSON object' };
  const candidates = Array.isArray(document.keys)
    ? document.keys
    : 'kty' in document
      ? [document]
      : undefined;
  if (candidates === undefined) return { problem: "it is neither a JWKS (with 'keys') nor a JWK" };
  const keys = new Map<string, CryptoKey>();
  for (const candidate of candidates) {
    const usable = await importOne(candidate);
    if (usable !== undefined && !keys.has(usable.kid)) keys.set(usable.kid, usable.key);
  }
  if (keys.size === 0) return { problem: `it holds no usable ${CAS_TOKEN_ALGORITHM} (EC P-256) signing key` };
  return { keys };
}

async function importOne(candidate: unknown): Promise<{ kid: string; key: CryptoKey } | undefined> {
  if (!isRecord(candidate)) return undefined;
  const { kty, crv, x, y, kid, alg, use } = candidate;
  if (kty !== 'EC' || crv !== 'P-256' || typeof x !== 'string' || typeof y !== 'string') return undefined;
  if ((alg !== undefined && alg !== CAS_TOKEN_ALGORITHM) || (use !== undefined && use !== 'sig'))
    return undefined;
  const publicMembers = { kty: 'EC', crv: 'P-256', x, y } as const;
  try {
    const key = await importJWK(publicMembers, CAS_TOKEN_ALGORITHM);
    const id = typeof kid === 'string' && kid.length > 0 ? kid : await calculateJwkThumbprint(publicMembers);
    return { kid: id, key };
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
