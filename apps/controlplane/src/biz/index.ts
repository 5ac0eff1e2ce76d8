export {
  API_TOKEN_PREFIX,
  type ApiTokenRequestAs,
  ApiTokens,
  hashApiToken,
  isUuid,
  type NewApiTokenRequest,
  type ScopedApiToken,
} from './api-tokens.js';
export {
  type CheckedBundle,
  checkBundle,
  checkStatementAgainstRun,
  readStatement,
  sha256Digest,
} from './attestation-bundle.js';
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
  type RunDetails,
  type RunWithBackend,
  type StoredAttestation,
} from './attestations.js';
export { type AttestationWiring, BUNDLE_CACHE_LIMITS, createAttestations } from './attestations-wiring.js';
export {
  BackendValidator,
  type CheckTarget,
  VALIDATION_CHANGED_EVENT,
  type ValidationOutcome,
} from './backend-validator.js';
export { BlobMapping, CONTROL_PLANE_SUBJECT } from './blob-mapping.js';
export { BundleCache } from './bundle-cache.js';
export { BundleCopier, type BundleCopierOptions, DEFAULT_BUNDLE_COPIER_OPTIONS } from './bundle-copier.js';
export {
  type BackendRef,
  backendSecretRef,
  CasBackends,
  type CreateBackendInput,
  DEFAULT_BACKEND_MAX_BYTES,
  MAX_BACKEND_MAX_BYTES,
  mergeCredentials,
  type UpdateBackendInput,
} from './cas-backends.js';
export {
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
export { FIRST_TOKEN_NAME, INLINE_BACKEND_NAME, INLINE_MAX_BYTES, Organizations } from './organizations.js';
export { type AdminPrincipal, type Caller, isAdmin, type Principal } from './principal.js';
export { DEFAULT_RUN_EXPIRY_OPTIONS, type RunExpiryOptions, RunExpirySweeper } from './run-expiry.js';
export {
  type AddMaterialInput,
  ANNOTATION_LIMITS,
  bundleCapOf,
  type MaterialSourceInput,
  type RecordedLocation,
  type RecordedMaterial,
  STATEMENT_RESERVE_BYTES,
  STRING_MAX_BYTES,
  statementBudgetOf,
  statementBytesOf,
} from './run-materials.js';
export { actingOrganization } from './scope.js';
export { type Rotation, SigningKeySchedule, type SigningKeyScheduleOptions } from './signing-key-schedule.js';
export { SigningKeyRing, TokenIssuer, type TokenIssuerOptions } from './token-issuer.js';
export {
  DEFAULT_VALIDATION_SCHEDULE,
  type ValidationSchedule,
  ValidationScheduler,
} from './validation-scheduler.js';
export {
  formatLifetime,
  LIST_PAGE_SIZE,
  notInitialized,
  type ResetTrigger,
  type RunListing,
  type RunListQuery,
  type RunnerInput,
  WorkflowRuns,
} from './workflow-runs.js';
