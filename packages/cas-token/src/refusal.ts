import { CairnError, Code } from '@cairn/errors';

/**
 * Why a token was refused, as `details.reason` of the error: stable, safe to log and to send, so a
 * client or a dashboard can tell an expired token from a forged one without parsing messages.
 */
export type RefusalReason =
  | 'token_missing'
  | 'token_malformed'
  | 'algorithm_refused'
  | 'type_refused'
  | 'kid_missing'
  | 'kid_unknown'
  | 'signature_invalid'
  | 'claims_malformed'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'role_mismatch'
  | 'digest_mismatch'
  /** UNAVAILABLE: the control plane's key set could not be fetched. */
  | 'keys_unavailable'
  /** FAILED_PRECONDITION: the configured key file or JWKS is unusable. */
  | 'keys_misconfigured';

/**
 * The one fix for a token that proves nothing: a new one. The `cairn` command fetches a fresh CAS token
 * from the control plane on every run, and `cairn cas-token create` prints one for other clients.
 */
export const NEW_TOKEN_ADVICE =
  'rerun the `cairn` command (it fetches a fresh CAS token from the control plane each time), or get one with `cairn cas-token create`';

/** UNAUTHENTICATED: the token does not prove anything; the fix is always a new token. */
export function unauthenticated(reason: RefusalReason, problem: string): CairnError {
  return new CairnError(Code.Unauthenticated, `${problem}; ${NEW_TOKEN_ADVICE}`, { details: { reason } });
}

/** PERMISSION_DENIED: a genuine token, but for something else than this request. */
export function permissionDenied(reason: RefusalReason, problem: string): CairnError {
  return new CairnError(Code.PermissionDenied, problem, { details: { reason } });
}

/**
 * Quotes a value read from a token for a message: short, and only when it is plain text, since it may
 * come from an attacker and ends up in logs.
 */
export function quoteFromToken(value: string): string {
  return /^[\w.:/@+-]{1,80}$/.test(value) ? `'${value}'` : 'an unprintable value';
}
