export { API_TOKEN_PREFIX, ApiTokens, hashApiToken, isUuid, type NewApiTokenRequest } from './api-tokens.js';
export { type BackendAccess, providerBackendAccess } from './backend-access.js';
export { BackendValidator, VALIDATION_CHANGED_EVENT, type ValidationOutcome } from './backend-validator.js';
export { BlobMapping, type CasResourceReader, CONTROL_PLANE_SUBJECT } from './blob-mapping.js';
export {
  type BackendRef,
  backendSecretRef,
  CasBackends,
  type CreateBackendInput,
  DEFAULT_BACKEND_MAX_BYTES,
  MAX_BACKEND_MAX_BYTES,
  type UpdateBackendInput,
} from './cas-backends.js';
export { type BackendChoice, CasCredentials, type IssuedCasToken } from './cas-credentials.js';
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
