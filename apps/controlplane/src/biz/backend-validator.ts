import { type ProviderKind, providerFor } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { SecretValue } from '@cairn/secrets';
import type { CasBackend, CasBackendChecker, DataStore, ValidationStatus } from '../data/index.js';
import { CONTROL_PLANE_SUBJECT } from './blob-mapping.js';
import type { TokenIssuer } from './token-issuer.js';

export const VALIDATION_CHANGED_EVENT = 'cas_backend.validation_changed';

export interface ValidationOutcome {
  readonly status: Exclude<ValidationStatus, 'pending'>;
  readonly error: string | null;
}

/** What a write check needs to know of a backend, saved or about to be. */
export interface CheckTarget {
  readonly id: string;
  readonly name: string;
  readonly orgId: string;
  readonly provider: ProviderKind;
  readonly location: string;
  /** Where its credentials are in the secret store; null for none. */
  readonly secretRef: string | null;
  readonly maxBytes: number;
}

export interface BackendValidatorOptions {
  readonly store: DataStore;
  readonly issuer: TokenIssuer;
  readonly cas: CasBackendChecker;
  readonly logger: Logger;
  /** Upper bound of one write check, the CAS's answer included. */
  readonly timeoutMs: number;
  readonly now?: () => Date;
}

/**
 * Proves a backend's write access through the CAS and records the outcome. The control plane never
 * touches storage itself: it mints an upload token naming the backend and its secret reference, and the
 * CAS resolves the backend as an upload would (its filesystem roots, its secret store, its network).
 */
export class BackendValidator {
  readonly timeoutMs: number;
  readonly #options: BackendValidatorOptions;
  readonly #now: () => Date;

  constructor(options: BackendValidatorOptions) {
    this.#options = options;
    this.timeoutMs = options.timeoutMs;
    this.#now = options.now ?? (() => new Date());
  }

  /** Checks `backend` now and stores the result; returns the backend as stored afterwards. */
  async validate(backend: CasBackend, signal: AbortSignal): Promise<CasBackend> {
    return this.record(backend, await this.check(backend, signal));
  }

  /** The outcome of a write check of a saved backend; a failure is an outcome, not an error. */
  async check(backend: CasBackend, signal: AbortSignal): Promise<ValidationOutcome> {
    if (backend.provider === 'inline') return { status: 'ok', error: null };
    try {
      await this.checkTarget({ ...backend, provider: backend.provider }, signal);
      return { status: 'ok', error: null };
    } catch (error) {
      signal.throwIfAborted();
      return { status: 'failed', error: CairnError.from(error).message };
    }
  }

  /**
   * The write check through the CAS, bounded by `timeoutMs`; throws a CairnError from the CAS (or about
   * reaching it) when it does not pass.
   */
  async checkTarget(target: CheckTarget, signal: AbortSignal): Promise<void> {
    const { token } = await this.#options.issuer.mint({
      sub: CONTROL_PLANE_SUBJECT,
      org: target.orgId,
      role: 'upload',
      backend: { id: target.id, provider: target.provider, location: target.location },
      secret: target.secretRef ?? '',
      max_bytes: target.maxBytes,
    });
    try {
      await this.#options.cas.checkWriteAccess(token, this.timeoutMs, signal);
    } catch (error) {
      signal.throwIfAborted();
      const failure = CairnError.from(
        error,
        Code.Unavailable,
        'the write check failed for an unexpected reason; see the control plane log',
      );
      if (failure.details.reason === 'credentials_missing') throw credentialsNotShared(target, failure);
      throw failure;
    }
  }

  /** Normalised location for `provider`; INVALID_ARGUMENT if malformed. */
  parseLocation(provider: ProviderKind, location: string): string {
    return providerFor(provider).parseLocation(location);
  }

  /** INVALID_ARGUMENT naming the missing or bad credential fields, never a value. */
  parseCredentials(provider: ProviderKind, credentials: SecretValue): void {
    // Providers without credentials (filesystem) take none at all rather than an empty object.
    providerFor(provider).parseCredentials(Object.keys(credentials).length === 0 ? undefined : credentials);
  }

  /** Stores an outcome; a change of status is written to the event log and logged. */
  async record(backend: CasBackend, outcome: ValidationOutcome): Promise<CasBackend> {
    const at = this.#now();
    const { store, logger } = this.#options;
    const stored = await store.transaction(async (tx) => {
      const previous = await tx.backends.recordValidation(backend.id, { ...outcome, at });
      if (previous !== undefined && previous !== outcome.status) {
        await tx.events.append({
          orgId: backend.orgId,
          kind: VALIDATION_CHANGED_EVENT,
          subjectId: backend.id,
          data: { backend: backend.name, from: previous, to: outcome.status, error: outcome.error },
        });
        const log = outcome.status === 'ok' ? logger.info : logger.warn;
        log.call(logger, 'CAS backend validation status changed', {
          event: VALIDATION_CHANGED_EVENT,
          org: backend.orgId,
          backendId: backend.id,
          backend: backend.name,
          provider: backend.provider,
          from: previous,
          to: outcome.status,
          ...(outcome.error === null ? {} : { reason: outcome.error }),
        });
      }
      return tx.backends.find(backend.orgId, backend.id, { includeDeleted: true });
    });
    return stored ?? backend;
  }
}

/**
 * The CAS found nothing under the reference the control plane wrote or keeps: the two read different secret
 * stores, or the secret was lost. (The CAS's own wording is for clients holding an old token.)
 */
function credentialsNotShared(target: CheckTarget, cause: CairnError): CairnError {
  return new CairnError(
    Code.FailedPrecondition,
    `the CAS finds no credentials under the secret reference of "${target.name}": either it reads another secret store than the control plane (their "secrets" settings must name the same one), or they were lost (store them again with \`cairn cas-backend update ${target.name}\`)`,
    { cause, details: { ...cause.details } },
  );
}
