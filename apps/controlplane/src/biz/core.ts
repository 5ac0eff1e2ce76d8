import type { Logger } from '@cairn/observability';
import type { SecretStore } from '@cairn/secrets';
import type { CasBackendChecker, CasBlobTransfer, CasResourceReader, DataStore } from '../data/index.js';
import { ApiTokens } from './api-tokens.js';
import type { AttestationOptions, Attestations } from './attestations.js';
import { createAttestations, noCasBlobTransfer } from './attestations-wiring.js';
import { BackendValidator } from './backend-validator.js';
import { BlobMapping } from './blob-mapping.js';
import { CasBackends } from './cas-backends.js';
import { CasCredentials } from './cas-credentials.js';
import { Organizations } from './organizations.js';
import type { TokenIssuer } from './token-issuer.js';
import {
  DEFAULT_VALIDATION_SCHEDULE,
  type ValidationSchedule,
  ValidationScheduler,
} from './validation-scheduler.js';

export interface CoreOptions {
  readonly store: DataStore;
  readonly secrets: SecretStore;
  readonly issuer: TokenIssuer;
  readonly cas: CasResourceReader;
  /** The CAS's write check of backends (BackendService.CheckWriteAccess). */
  readonly casChecks: CasBackendChecker;
  readonly logger: Logger;
  /** Upper bound of one write check; default 30 s. */
  readonly validationTimeoutMs?: number;
  readonly validationSchedule?: ValidationSchedule;
  /** How attestation bundles reach the CAS; without it no bundle reaches the CAS (copies wait in the database). */
  readonly casBlobs?: CasBlobTransfer;
  readonly attestations?: Partial<AttestationOptions>;
}

/** Every use case of the control plane, wired once; the service layer calls these. */
export class ControlPlaneCore {
  readonly store: DataStore;
  readonly organizations: Organizations;
  readonly apiTokens: ApiTokens;
  readonly validator: BackendValidator;
  readonly backends: CasBackends;
  readonly credentials: CasCredentials;
  readonly mapping: BlobMapping;
  readonly scheduler: ValidationScheduler;
  readonly issuer: TokenIssuer;
  readonly attestations: Attestations;

  constructor(options: CoreOptions) {
    const { store, secrets, logger, issuer } = options;
    this.store = store;
    this.issuer = issuer;
    this.apiTokens = new ApiTokens(store);
    this.organizations = new Organizations(store, this.apiTokens);
    this.validator = new BackendValidator({
      store,
      issuer,
      cas: options.casChecks,
      logger,
      timeoutMs: options.validationTimeoutMs ?? 30_000,
    });
    this.backends = new CasBackends(store, secrets, this.validator, logger);
    this.credentials = new CasCredentials(store, issuer);
    this.mapping = new BlobMapping(store, issuer, options.cas);
    this.scheduler = new ValidationScheduler(
      store,
      this.validator,
      logger,
      options.validationSchedule ?? DEFAULT_VALIDATION_SCHEDULE,
    );
    this.attestations = createAttestations({
      store,
      credentials: this.credentials,
      mapping: this.mapping,
      transfer: options.casBlobs ?? noCasBlobTransfer,
      logger,
      ...(options.attestations ? { options: options.attestations } : {}),
    });
  }
}
