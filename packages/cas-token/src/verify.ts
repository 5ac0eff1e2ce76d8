import { isDigest } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';
import { type CryptoKey, compactVerify, errors } from 'jose';
import type { CasClaims, CasRole } from './claims.js';
import { readCasClaims } from './claims-check.js';
import { CAS_TOKEN_ALGORITHM, CAS_TOKEN_DEFAULTS } from './constants.js';
import { type CasKeySource, createKeySet } from './key-source.js';
import { permissionDenied, quoteFromToken, unauthenticated } from './refusal.js';
import { readTokenHeader } from './token-header.js';

/** What the request in hand needs the token to allow. */
export interface CasTokenExpectation {
  readonly role: CasRole;
  /** The blob a download reads (`sha256:<hex>`); a digest-bound token allows exactly that blob. */
  readonly digest?: string;
}

export interface CasTokenVerifierOptions {
  /** The `iss` the control plane mints with (its default is `CAS_TOKEN_DEFAULTS.issuer`). */
  readonly issuer: string;
  /** This CAS's `aud` (the control plane's default is `CAS_TOKEN_DEFAULTS.audience`). */
  readonly audience: string;
  readonly keys: CasKeySource;
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds; default 30. */
  readonly clockToleranceSeconds?: number;
  /** Milliseconds since the epoch; default `Date.now`. Also paces key reloads. */
  readonly clock?: () => number;
}

export interface CasTokenVerifier {
  /**
   * The claims of `token` if it is a genuine, current CAS token for this request. Refusals are
   * CairnErrors: UNAUTHENTICATED when the token proves nothing (missing, forged, unknown key, other
   * issuer or audience, expired, malformed), PERMISSION_DENIED when it is genuine but for another role or
   * blob, UNAVAILABLE when the keys cannot be fetched, CANCELED when `signal` aborts. No message ever
   * contains the token.
   */
  verify(token: string, expectation: CasTokenExpectation, signal?: AbortSignal): Promise<CasClaims>;
  /** Reloads the trusted keys now, ignoring the refresh rate limit (e.g. on an operator's signal). */
  refreshKeys(signal?: AbortSignal): Promise<void>;
}

export function createCasTokenVerifier(options: CasTokenVerifierOptions): CasTokenVerifier {
  const clock = options.clock ?? Date.now;
  const tolerance = options.clockToleranceSeconds ?? CAS_TOKEN_DEFAULTS.clockToleranceSeconds;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new CairnError(
      Code.InvalidArgument,
      'the clock tolerance must be a non-negative number of seconds',
    );
  }
  const keySet = createKeySet(options.keys, clock);
  const verified = new VerifiedSignatures();

  async function verifyOrThrow(token: string, expectation: CasTokenExpectation, signal?: AbortSignal) {
    signal?.throwIfAborted();
    const { kid } = readTokenHeader(token);
    const key = await keySet.keyFor(kid, signal);
    if (key === undefined) throw unknownKey(kid, keySet.lastFailure);
    let payload = verified.get(token, key);
    if (payload === undefined) {
      payload = await verifiedPayload(token, key);
      verified.set(token, key, payload);
    }
    const claims = checkClaims(payload, options, clock() / 1000, tolerance);
    checkExpectation(claims, expectation);
    return claims;
  }

  return {
    async verify(token, expectation, signal) {
      try {
        return await verifyOrThrow(token, expectation, signal);
      } catch (error) {
        throw CairnError.from(error, Code.Internal);
      }
    },
    async refreshKeys(signal) {
      try {
        await keySet.refresh(signal);
      } catch (error) {
        throw CairnError.from(error, Code.Unavailable);
      }
    },
  };
}

/**
 * A token signed by a key the keys in hand do not hold. When the key set could not be read the last time
 * it was asked (the control plane down), that is said, rather than that the control plane does not
 * publish the key: it may well, since a rotation.
 */
function unknownKey(kid: string, keySetFailure: unknown): CairnError {
  if (keySetFailure === undefined) {
    return unauthenticated(
      'kid_unknown',
      `the CAS token is signed by key ${quoteFromToken(kid)}, which the control plane does not publish ` +
        '(if it has just rotated its keys, retry in a few seconds)',
    );
  }
  const why = keySetFailure instanceof CairnError ? keySetFailure.message : 'its source failed';
  return unauthenticated(
    'kid_unknown',
    `the CAS token is signed by key ${quoteFromToken(kid)}, which this CAS does not know, and the key set that would hold a new key could not be read: ${why}`,
  );
}

/** Tokens whose signature was checked, at most this many (a client reuses its token for many calls). */
const VERIFIED_SIGNATURES = 1024;

/**
 * Payloads of tokens whose signature verified, by token, with the key that verified it. A hit needs the
 * very key object the key set returns now, so a key that was dropped or reloaded verifies afresh. Only
 * the ECDSA check is skipped: every call still checks the claims (expiry included) and the expectation.
 */
class VerifiedSignatures {
  readonly #entries = new Map<string, { readonly key: CryptoKey; readonly payload: unknown }>();

  get(token: string, key: CryptoKey): unknown {
    const entry = this.#entries.get(token);
    return entry?.key === key ? entry.payload : undefined;
  }

  set(token: string, key: CryptoKey, payload: unknown): void {
    this.#entries.delete(token);
    if (this.#entries.size >= VERIFIED_SIGNATURES) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { key, payload });
  }
}

async function verifiedPayload(token: string, key: CryptoKey): Promise<unknown> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, key, { algorithms: [CAS_TOKEN_ALGORITHM] }));
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      throw unauthenticated(
        'signature_invalid',
        'the CAS token signature does not verify; it was altered or forged',
      );
    }
    throw unauthenticated('token_malformed', 'the CAS token is not a valid ES256 JWS');
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw unauthenticated('claims_malformed', 'the CAS token payload is not JSON');
  }
}

function checkClaims(
  payload: unknown,
  expected: { readonly issuer: string; readonly audience: string },
  nowSeconds: number,
  tolerance: number,
): CasClaims {
  const reading = readCasClaims(payload);
  if ('problem' in reading)
    throw unauthenticated('claims_malformed', `the CAS token is malformed: ${reading.problem}`);
  const { claims } = reading;
  if (claims.iss !== expected.issuer) {
    throw unauthenticated(
      'issuer_mismatch',
      `the CAS token was issued by ${quoteFromToken(claims.iss)}, but this CAS accepts tokens of ` +
        `'${expected.issuer}' only (check that both services are configured with the same issuer)`,
    );
  }
  if (claims.aud !== expected.audience) {
    throw unauthenticated(
      'audience_mismatch',
      `the CAS token is meant for ${quoteFromToken(claims.aud)}, not for this CAS ('${expected.audience}')`,
    );
  }
  if (nowSeconds - tolerance >= claims.exp) {
    throw unauthenticated('token_expired', `the CAS token expired at ${isoTime(claims.exp)}`);
  }
  const notBefore = (payload as { nbf?: number }).nbf;
  if (notBefore !== undefined && notBefore > nowSeconds + tolerance) {
    throw unauthenticated(
      'token_not_yet_valid',
      `the CAS token is not valid before ${isoTime(notBefore)}; if that is wrong, check the clocks of this host and the control plane`,
    );
  }
  if (claims.iat > nowSeconds + tolerance) {
    throw unauthenticated(
      'token_not_yet_valid',
      `the CAS token claims to be issued at ${isoTime(claims.iat)}, in the future; check the clocks of this host and the control plane`,
    );
  }
  return claims;
}

function checkExpectation(claims: CasClaims, expectation: CasTokenExpectation): void {
  if (claims.role !== expectation.role) {
    throw permissionDenied(
      'role_mismatch',
      `this CAS token allows ${claims.role}s, not ${expectation.role}s; get ${expectation.role === 'upload' ? 'an upload' : 'a download'} token with \`cairn cas-token create --role ${expectation.role}\``,
    );
  }
  if (claims.role === 'download' && claims.digest !== undefined && claims.digest !== expectation.digest) {
    throw permissionDenied(
      'digest_mismatch',
      `this CAS token is bound to another blob than the one requested; get a token for this blob with \`cairn cas-token create --role download --digest ${digestForAdvice(expectation.digest)}\``,
    );
  }
}

/** The requested digest as advice may repeat it: only a well-formed one (it comes from the request). */
function digestForAdvice(digest: string | undefined): string {
  return isDigest(digest) ? digest : 'sha256:HEX';
}

function isoTime(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? `${seconds} s after the epoch` : date.toISOString();
}
