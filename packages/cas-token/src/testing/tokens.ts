import { CompactSign } from 'jose';
import type { CasGrant } from '../claims.js';
import { CAS_TOKEN_TYPE } from '../constants.js';
import type { SigningKey } from '../signing-key.js';

export const blobDigest = `sha256:${'ab'.repeat(32)}`;
export const otherBlobDigest = `sha256:${'cd'.repeat(32)}`;

export function downloadGrant(overrides: Partial<CasGrant> = {}): CasGrant {
  return {
    sub: 'user:ada',
    org: 'org-1',
    role: 'download',
    backend: { id: 'backend-1', provider: 'filesystem', location: '/var/lib/cairn/blobs' },
    secret: 'secrets/backend-1',
    max_bytes: 0,
    ...overrides,
  };
}

export function uploadGrant(overrides: Partial<CasGrant> = {}): CasGrant {
  return downloadGrant({ role: 'upload', max_bytes: 10 * 1024 * 1024, ...overrides });
}

/** A complete, valid payload as the minter would write it at `nowSeconds`, for tests that break one claim. */
export function validPayload(nowSeconds: number): Record<string, unknown> {
  return {
    ...downloadGrant(),
    iss: 'cairn-controlplane',
    aud: 'cairn-artifact-cas',
    iat: nowSeconds,
    exp: nowSeconds + 300,
    jti: 'jti-1',
  };
}

/** Signs an arbitrary payload and header with a real key, bypassing the minter's own checks. */
export function signRaw(
  key: SigningKey,
  payload: unknown,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: CAS_TOKEN_TYPE, ...header })
    .sign(key.privateKey);
}

/** An unsigned JWT (`alg: none`), as an attacker would send it. */
export function unsignedToken(payload: unknown, header: Record<string, unknown> = {}): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: CAS_TOKEN_TYPE, ...header })}.${encode(payload)}.`;
}
