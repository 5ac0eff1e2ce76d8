import type { CasClaims, CasTokenVerifier } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { AccessRequirement } from '../service/call-context.js';

/** Checks bearer tokens for both transports; one place, so gRPC and HTTP refuse alike. */
export class Authenticator {
  constructor(private readonly verifier: CasTokenVerifier) {}

  async authenticate(
    token: string | undefined,
    need: AccessRequirement,
    signal: AbortSignal,
  ): Promise<CasClaims> {
    if (token === undefined || token === '') {
      throw new CairnError(
        Code.Unauthenticated,
        'this call needs a CAS token, sent as "authorization: Bearer <token>"; the `cairn` command fetches one from the control plane itself, and `cairn cas-token create` prints one for other clients',
        { details: { reason: 'token_missing' } },
      );
    }
    if (need.role !== 'any') return this.verifier.verify(token, need, signal);
    try {
      return await this.verifier.verify(token, { role: 'upload' }, signal);
    } catch (error) {
      const roleMismatch = error instanceof CairnError && error.details.reason === 'role_mismatch';
      if (!roleMismatch) throw error;
      return this.verifier.verify(
        token,
        need.digest === undefined ? { role: 'download' } : { role: 'download', digest: need.digest },
        signal,
      );
    }
  }
}

/** The token of an `authorization: Bearer <token>` header; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (match) return match[1];
  throw new CairnError(Code.Unauthenticated, 'the authorization header must be "Bearer <CAS token>"', {
    details: { reason: 'token_malformed' },
  });
}
