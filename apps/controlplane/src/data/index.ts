export type { LockOutcome } from './advisory-lock.js';
export { grpcCasBackendChecker } from './cas/backend-checker.js';
export { grpcCasBlobTransfer } from './cas/blob-transfer.js';
export type { CasBackendChecker, CasBlobTransfer, CasResourceReader } from './cas/ports.js';
export { grpcCasResourceReader } from './cas/resource-reader.js';
export { DataStore, Repositories } from './data-store.js';
export type { DatabaseConfig } from './open-database.js';
export { isUniqueViolation } from './pg-errors.js';
export type * from './records.js';
export type { NewApiToken } from './repos/api-token-repo.js';
export type { AttestationRecord, NewAttestation, PendingCasCopy } from './repos/attestation-repo.js';
export type { CasBackendChanges, NewCasBackend, ValidationResult } from './repos/cas-backend-repo.js';
export type { NewEvent } from './repos/event-repo.js';
export type { NewRunMaterial, RunMaterial } from './repos/run-material-repo.js';
export type { ScheduledSigningKey } from './repos/signing-key-repo.js';
export type {
  ListedWorkflowRun,
  NewWorkflowRun,
  WorkflowRun,
  WorkflowRunFilter,
} from './repos/workflow-run-repo.js';
export type { DatabaseSchema, MaterialSource } from './schema.js';
