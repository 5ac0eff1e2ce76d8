import { KeyObject, randomUUID, sign } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { CasGrant } from './claims.js';
import { readCasClaims } from './claims-check.js';
import { CAS_TOKEN_ALGORITHM, CAS_TOKEN_DEFAULTS, CAS_TOKEN_TYPE } from './constants.js';
import { SigningKeyRing } from './key-ring.js';
import type { SigningKey } from './signing-key.js';

export interface MintOptions {
  /** `iss`; default `CAS_TOKEN_DEFAULTS.issuer`. The CAS must be configured with the same value. */
  readonly issuer?: string;
  /** `aud`; default `CAS_TOKEN_DEFAULTS.audience`. */
  readonly audience?: string;
  /** Seconds from `iat` to `exp`: a whole number from 1 to 86400; default 300. */
  readonly lifetimeSeconds?: number;
  /** Milliseconds since the epoch; default `Date.now`. */
  readonly clock?: () => number;
}

const longestLifetimeSeconds = 86_400;

/**
 * Signs a CAS token for `grant` with the key (or the ring's active key): header `alg: ES256`, its
 * `kid`, `typ: cairn-cas+jwt`; claims `iss`, `aud`, `iat`, `exp` and a random `jti` unless the grant
 * names one. Returns the compact JWT. INVALID_ARGUMENT when the grant or the options are malformed.
 */
export async function mintCasToken(
  key: SigningKey | SigningKeyRing,
  grant: CasGrant,
  options: MintOptions = {},
): Promise<string> {
  const { issuer, audience, lifetimeSeconds, clock } = resolveMintOptions(options);
  const signer = key instanceof SigningKeyRing ? key.active : key;
  const issuedAt = Math.floor(clock() / 1000);
  const reading = readCasClaims({
    ...grant,
    iss: issuer,
    aud: audience,
    iat: issuedAt,
    exp: issuedAt + lifetimeSeconds,
    jti: grant.jti ?? randomUUID(),
  });
  if ('problem' in reading) {
    throw new CairnError(Code.InvalidArgument, `cannot mint a CAS token: ${reading.problem}`);
  }
  const { keyObject, encodedHeader } = preparedSigner(signer);
  const signingInput = `${encodedHeader}.${Buffer.from(JSON.stringify(reading.claims)).toString('base64url')}`;
  const signature = sign('sha256', Buffer.from(signingInput), { key: keyObject, dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${signature.toString('base64url')}`;
}

interface PreparedSigner {
  readonly keyObject: KeyObject;
  readonly encodedHeader: string;
}

// Measured (2 cores, 2026-12-06): jose's SignJWT took ~210–270 µs per token, mostly WebCrypto's async
// sign, which converts the CryptoKey and hops to the thread pool each call; node:crypto's synchronous
// sign on a KeyObject converted once takes ~75–90 µs. The control plane mints one token per
// CASCredentialsService.Get, so this was a large share of the call. The JWS is the same as jose's:
// header and claims serialised with JSON.stringify in the same member order, ES256's raw r||s signature
// (ieee-p1363), base64url without padding; jose's verifier checks it (mint.test.ts).
const preparedSigners = new WeakMap<SigningKey, PreparedSigner>();

function preparedSigner(key: SigningKey): PreparedSigner {
  let prepared = preparedSigners.get(key);
  if (prepared === undefined) {
    const header = { alg: CAS_TOKEN_ALGORITHM, kid: key.kid, typ: CAS_TOKEN_TYPE };
    prepared = {
      keyObject: KeyObject.from(key.privateKey),
      encodedHeader: Buffer.from(JSON.stringify(header)).toString('base64url'),
    };
    preparedSigners.set(key, prepared);
  }
  return prepared;
}

function resolveMintOptions(options: MintOptions): Required<MintOptions> {
  const resolved = {
    issuer: options.issuer ?? CAS_TOKEN_DEFAULTS.issuer,
    audience: options.audience ?? CAS_TOKEN_DEFAULTS.audience,
    lifetimeSeconds: options.lifetimeSeconds ?? CAS_TOKEN_DEFAULTS.lifetimeSeconds,
    clock: options.clock ?? Date.now,
  };
  const { lifetimeSeconds } = resolved;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > longestLifetimeSeconds) {
    throw new CairnError(
      Code.InvalidArgument,
      `a CAS token lifetime must be a whole number of seconds from 1 to ${longestLifetimeSeconds}; got ${lifetimeSeconds}`,
    );
  }
  return resolved;
}
