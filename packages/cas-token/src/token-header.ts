import { decodeProtectedHeader } from 'jose';
import { CAS_TOKEN_ALGORITHM, CAS_TOKEN_TYPE } from './constants.js';
import { quoteFromToken, unauthenticated } from './refusal.js';

/** CAS tokens are well under 2 KiB; a cap keeps garbage from costing parse time. */
const longestTokenChars = 8 * 1024;

/**
 * Reads and checks the protected header before any key is looked up: a compact JWS whose `alg` is
 * ES256, whose `typ` says CAS token and which names a `kid`. Checking `alg` here, and again in the
 * signature check, is what shuts out `alg: none` and the HS256-with-the-public-key confusion.
 */
export function readTokenHeader(token: string): { readonly kid: string } {
  if (token.length === 0) {
    throw unauthenticated(
      'token_missing',
      'no CAS token was presented; send it as "Authorization: Bearer <token>"',
    );
  }
  if (token.length > longestTokenChars || token.split('.').length !== 3) {
    throw unauthenticated('token_malformed', 'the CAS token is not a compact JWT');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw unauthenticated('token_malformed', 'the CAS token is not a compact JWT');
  }
  const { alg, typ, kid } = header;
  if (alg !== CAS_TOKEN_ALGORITHM) {
    const named = typeof alg === 'string' ? quoteFromToken(alg) : 'no algorithm';
    throw unauthenticated(
      'algorithm_refused',
      `the CAS token is signed with ${named}, but only ${CAS_TOKEN_ALGORITHM} tokens from the control plane are accepted`,
    );
  }
  if (typeof typ !== 'string' || typ.toLowerCase().replace(/^application\//, '') !== CAS_TOKEN_TYPE) {
    throw unauthenticated(
      'type_refused',
      `the token is not a CAS token (its "typ" is not "${CAS_TOKEN_TYPE}")`,
    );
  }
  if (typeof kid !== 'string' || kid.length === 0) {
    throw unauthenticated('kid_missing', 'the CAS token does not name its signing key ("kid")');
  }
  return { kid };
}
