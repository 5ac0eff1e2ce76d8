import type { ProviderKind } from '@cairn/backends';
import { CairnError } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { SecretStore, SecretValue } from '@cairn/secrets';
import type { CasBackend, DataStore, ValidationStatus } from '../data/index.js';
import { type BackendAccess, boundedWriteCheck } from './backend-access.js';

export const VALIDATION_CHANGED_EVENT = 'cas_backend.validation_changed';

export interface ValidationOutcome {
  readonly status: Exclude<ValidationStatus, 'pending'>;
  readonly error: string | null;
}

export interface BackendValidatorOptions {
  readonly store: DataStore;
  readonly secrets: SecretStore;
  readonly access: BackendAccess;
  readonly logger: Logger;
  /** Upper bound of one write check. */
  readonly timeoutMs: number;
  readonly now?: () => Date;
}

/** Proves a backend's write access with its stored credentials and records the outcome. */
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

  async check(backend: CasBackend, signal: AbortSignal): Promise<ValidationOutcome> {
    if (backend.provider === 'inline') return { status: 'ok', error: null };
    let credentials: SecretValue = {};
    if (backend.secretRef !== null) {
      try {
        credentials = await this.#options.secrets.get(backend.secretRef, signal);
      } catch (error) {
        signal.throwIfAborted();
        const reason = CairnError.from(error).message;
        return {
          status: 'failed',
          error: `its credentials could not be read from the secret store: ${reason}`,
        };
      }
    }
    try {
      await this.checkWith(backend.provider, backend.location, credentials, signal);
      return { status: 'ok', error: null };
    } catch (error) {
      signal.throwIfAborted();
      return { status: 'failed', error: CairnError.from(error).message };
    }
  }

  /** Normalised location for `provider`; INVALID_ARGUMENT if malformed. */
  parseLocation(provider: ProviderKind, location: string): string {
    return this.#options.access.parseLocation(provider, location);
  }

  /** INVALID_ARGUMENT naming the bad credential field, never its value. */
  parseCredentials(provider: ProviderKind, credentials: SecretValue): void {
    this.#options.access.parseCredentials(provider, credentials);
  }

  /** The bounded write check with explicit credentials (used before new credentials are saved). */
  checkWith(
    provider: ProviderKind,
    location: string,
    credentials: SecretValue,
    signal: AbortSignal,
  ): Promise<void> {
    return boundedWriteCheck(
      this.#options.access,
      { provider, location, credentials },
      this.timeoutMs,
      signal,
    );
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
