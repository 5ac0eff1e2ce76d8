export { API_TOKEN_PREFIX, ApiTokens, hashApiToken, isUuid, type NewApiTokenRequest } from './api-tokens.js';
export { type CheckedBundle, checkBundle, sha256Digest } from './attestation-bundle.js';
export {
  AttestationReader,
  type AttestationRef,
  type BundleSource,
  type ResolvedAttestation,
} from './attestation-reader.js';
export {
  type AttestationOptions,
  Attestations,
  DEFAULT_ATTESTATION_OPTIONS,
  type RunWithBackend,
  type StoredAttestation,
} from './attestations.js';
export { type AttestationWiring, BUNDLE_CACHE_LIMITS, createAttestations } from './attestations-wiring.js';
export { type BackendAccess, providerBackendAccess } from './backend-access.js';
export { BackendValidator, VALIDATION_CHANGED_EVENT, type ValidationOutcome } from './backend-validator.js';
export { BlobMapping, type CasResourceReader, CONTROL_PLANE_SUBJECT } from './blob-mapping.js';
export { BundleCache } from './bundle-cache.js';
export { BundleCopier, type BundleCopierOptions, DEFAULT_BUNDLE_COPIER_OPTIONS } from './bundle-copier.js';
export {
  type BackendRef,
  backendSecretRef,
  CasBackends,
  type CreateBackendInput,
  DEFAULT_BACKEND_MAX_BYTES,
  MAX_BACKEND_MAX_BYTES,
  type UpdateBackendInput,
} from './cas-backends.js';
export {
  type CasBlobTransfer,
  CasBundleStore,
  type CasRetryPolicy,
  DEFAULT_CAS_RETRY,
} from './cas-bundle-store.js';
export {
  type BackendChoice,
  CasCredentials,
  type IssuedCasToken,
  type TokenHolder,
} from './cas-credentials.js';
export { ControlPlaneCore, type CoreOptions } from './core.js';
export { parseDnsLabel } from './names.js';
export { INLINE_BACKEND_NAME, INLINE_MAX_BYTES, Organizations } from './organizations.js';
export type { Principal } from './principal.js';
export { SigningKeyRing, TokenIssuer, type TokenIssuerOptions } from './token-issuer.js';
export {
  DEFAULT_VALIDATION_SCHEDULE,
  type ValidationSchedule,
  ValidationScheduler,
} from './validation-scheduler.js';
