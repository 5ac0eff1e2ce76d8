import type { ProviderKind } from '@cairn/backends';
import { isDigest } from '@cairn/digest';
import type { BackendClaim, CasClaims, CasRole } from './claims.js';

const roles = ['upload', 'download'] as const satisfies readonly CasRole[];
const providers = ['filesystem', 'oci', 'aws-s3', 'azure-blob'] as const satisfies readonly ProviderKind[];
// Fails to compile when @cairn/backends gains a provider this list does not know.
const everyProviderListed: ProviderKind extends (typeof providers)[number] ? true : never = true;
void everyProviderListed;

export type ClaimsReading = { readonly claims: CasClaims } | { readonly problem: string };

/**
 * Checks that a decoded payload carries every CAS claim with the right type, and returns exactly those
 * claims (unknown ones are dropped). It says nothing about time, issuer or audience: callers compare
 * those against their own expectations. Both the minter and the verifier use it, so the control plane
 * can never mint a token the CAS would refuse as malformed.
 */
export function readCasClaims(payload: unknown): ClaimsReading {
  try {
    return { claims: readOrThrow(payload) };
  } catch (error) {
    if (error instanceof ClaimProblem) return { problem: error.message };
    throw error;
  }
}

class ClaimProblem extends Error {}

function readOrThrow(payload: unknown): CasClaims {
  if (!isRecord(payload)) throw new ClaimProblem('the payload is not a JSON object');
  const claims: CasClaims = {
    iss: text(payload.iss, 'iss'),
    aud: text(payload.aud, 'aud'),
    iat: numericDate(payload.iat, 'iat'),
    exp: numericDate(payload.exp, 'exp'),
    jti: text(payload.jti, 'jti'),
    sub: text(payload.sub, 'sub'),
    org: text(payload.org, 'org'),
    role: oneOf(payload.role, 'role', roles),
    backend: backend(payload.backend),
    secret: secretReference(payload.secret),
    max_bytes: byteCount(payload.max_bytes),
    ...boundDigest(payload.digest, payload.role),
  };
  if (payload.nbf !== undefined) numericDate(payload.nbf, 'nbf');
  return claims;
}

function backend(value: unknown): BackendClaim {
  if (!isRecord(value))
    throw new ClaimProblem("claim 'backend' must be an object with id, provider and location");
  return {
    id: text(value.id, 'backend.id'),
    provider: oneOf(value.provider, 'backend.provider', providers),
    location: text(value.location, 'backend.location'),
  };
}

function boundDigest(digest: unknown, role: unknown): { digest?: string } {
  if (digest === undefined) return {};
  if (!isDigest(digest)) {
    throw new ClaimProblem("claim 'digest' must be 'sha256:' followed by 64 lowercase hex digits");
  }
  if (role !== 'download') throw new ClaimProblem("claim 'digest' binds download tokens only");
  return { digest };
}

function secretReference(value: unknown): string {
  // Empty is allowed: a backend without credentials (a local directory) has no secret to reference.
  if (typeof value !== 'string') throw new ClaimProblem("claim 'secret' must be a string");
  return value;
}

function byteCount(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ClaimProblem("claim 'max_bytes' must be a non-negative whole number of bytes");
}

function text(value: unknown, name: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new ClaimProblem(`claim '${name}' must be a non-empty string`);
}

function numericDate(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new ClaimProblem(`claim '${name}' must be a time in seconds since the epoch`);
}

function oneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  const found = allowed.find((candidate) => candidate === value);
  if (found !== undefined) return found;
  throw new ClaimProblem(`claim '${name}' must be one of ${allowed.map((v) => `'${v}'`).join(', ')}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
