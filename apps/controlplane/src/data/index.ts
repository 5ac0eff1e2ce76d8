export type { LockOutcome } from './advisory-lock.js';
export { DataStore, Repositories } from './data-store.js';
export type { DatabaseConfig } from './open-database.js';
export { isUniqueViolation } from './pg-errors.js';
export type * from './records.js';
export type { NewApiToken } from './repos/api-token-repo.js';
export type { CasBackendChanges, NewCasBackend, ValidationResult } from './repos/cas-backend-repo.js';
export type { NewEvent } from './repos/event-repo.js';
export type { DatabaseSchema } from './schema.js';
