export type { BackendClaim, CasClaims, CasGrant, CasRole } from './claims.js';
export { CAS_TOKEN_ALGORITHM, CAS_TOKEN_DEFAULTS, CAS_TOKEN_TYPE } from './constants.js';
export { type JsonWebKeySet, JWKS_MEDIA_TYPE, publicJwks } from './jwks.js';
export { loadOrCreateSigningKey } from './key-file.js';
export { SigningKeyRing } from './key-ring.js';
export { type CasKeySource, KEY_SOURCE_DEFAULTS, type KeyRefreshOptions } from './key-source.js';
export { type MintOptions, mintCasToken } from './mint.js';
export type { RefusalReason } from './refusal.js';
export {
  exportPrivateJwk,
  generateSigningKey,
  importSigningKey,
  type PrivateSigningJwk,
  type PublicSigningJwk,
  type SigningKey,
} from './signing-key.js';
export {
  type CasTokenExpectation,
  type CasTokenVerifier,
  type CasTokenVerifierOptions,
  createCasTokenVerifier,
} from './verify.js';
