import { randomBytes, randomUUID } from 'node:crypto';
import { isProviderKind, type ProviderKind } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { SecretStore, SecretValue } from '@cairn/secrets';
import { type CasBackend, type DataStore, isUniqueViolation, type Repositories } from '../data/index.js';
import { isUuid } from './api-tokens.js';
import type { BackendValidator } from './backend-validator.js';
import { parseDnsLabel } from './names.js';
import { INLINE_MAX_BYTES } from './organizations.js';
import type { Principal } from './principal.js';

/** Largest blob a new backend accepts unless told otherwise. */
export const DEFAULT_BACKEND_MAX_BYTES = 1024 ** 3;
/** Upper bound for any backend's blob size cap. */
export const MAX_BACKEND_MAX_BYTES = 5 * 1024 ** 4;

export type BackendRef = { readonly id: string } | { readonly name: string };

export interface CreateBackendInput {
  readonly name: string;
  readonly provider: string;
  readonly location: string;
  readonly description?: string;
  readonly credentials: SecretValue;
  readonly isDefault?: boolean;
  readonly isFallback?: boolean;
  /** Undefined or 0: DEFAULT_BACKEND_MAX_BYTES. */
  readonly maxBytes?: number;
}

export interface UpdateBackendInput {
  readonly description?: string;
  readonly isDefault?: boolean;
  readonly isFallback?: boolean;
  readonly maxBytes?: number;
  /**
   * Non-empty: changed credential fields, merged over the stored ones (a field set to '' is removed), so
   * rotating a secret need not repeat the rest. Written under a new reference, checked through the CAS,
   * and only then put in force; the old secret is deleted afterwards.
   */
  readonly credentials?: SecretValue;
}

/**
 * A new secret-store reference for a version of a backend's credentials: every write (creation,
 * rotation) gets its own, so the credentials in force are never overwritten before new ones passed the
 * write check, and the CAS never serves a stale copy under a reference it cached.
 */
export function backendSecretRef(orgId: string, backendId: string): string {
  return `orgs/${orgId}/backends/${backendId}/${randomBytes(8).toString('hex')}`;
}

/**
 * The CAS-backend rules of DESIGN.md: credentials proven by a write check the CAS runs before anything is
 * saved and kept only in the secret store; one default and one fallback per organisation, changed
 * under the organisation's row lock; soft deletes that promote the fallback (else inline) to default.
 */
export class CasBackends {
  constructor(
    private readonly store: DataStore,
    private readonly secrets: SecretStore,
    private readonly validator: BackendValidator,
    private readonly logger: Logger,
  ) {}

  list(principal: Principal): Promise<CasBackend[]> {
    return this.store.backends.list(principal.orgId);
  }

  async get(principal: Principal, ref: BackendRef): Promise<CasBackend> {
    return this.#require(this.store, principal.orgId, ref);
  }

  async create(principal: Principal, input: CreateBackendInput, signal: AbortSignal): Promise<CasBackend> {
    const orgId = principal.orgId;
    const name = parseDnsLabel(input.name, 'the backend name');
    const provider = parseProvider(input.provider);
    if (input.isDefault && input.isFallback) throw neitherBoth();
    const maxBytes = parseMaxBytes(input.maxBytes, DEFAULT_BACKEND_MAX_BYTES, MAX_BACKEND_MAX_BYTES);
    const location = this.validator.parseLocation(provider, input.location);
    this.validator.parseCredentials(provider, input.credentials);
    if (await this.store.backends.findByName(orgId, name)) throw nameTaken(name);

    const id = randomUUID();
    const secretRef = Object.keys(input.credentials).length === 0 ? null : backendSecretRef(orgId, id);
    if (secretRef !== null) await this.secrets.put(secretRef, input.credentials, signal);
    try {
      await this.validator.checkTarget({ id, name, orgId, provider, location, secretRef, maxBytes }, signal);
    } catch (error) {
      await this.#forget(secretRef);
      throw checkFailed(error, `backend "${name}" failed the write check, so nothing was saved`);
    }
    try {
      const created = await this.store.transaction(async (tx) => {
        await lockOrganization(tx, orgId);
        if (input.isDefault) await tx.backends.clearDefault(orgId);
        if (input.isFallback) await tx.backends.clearFallback(orgId);
        const backend = await tx.backends.insert({
          id,
          orgId,
          name,
          provider,
          location,
          description: input.description ?? '',
          isDefault: input.isDefault ?? false,
          isFallback: input.isFallback ?? false,
          maxBytes,
          secretRef,
          validationStatus: 'ok',
          validationError: null,
          validatedAt: new Date(),
        });
        await tx.events.append({ orgId, kind: 'cas_backend.created', subjectId: id, data: summary(backend) });
        return backend;
      });
      this.logger.info('CAS backend created', { org: orgId, backendId: id, backend: name, provider });
      return created;
    } catch (error) {
      await this.#forget(secretRef);
      if (isUniqueViolation(error, 'cas_backends_live_name')) throw nameTaken(name);
      throw error;
    }
  }

  async update(
    principal: Principal,
    ref: BackendRef,
    input: UpdateBackendInput,
    signal: AbortSignal,
  ): Promise<CasBackend> {
    const orgId = principal.orgId;
    let backend = await this.#require(this.store, orgId, ref);
    if (input.isDefault && input.isFallback) throw neitherBoth();
    const inline = backend.provider === 'inline';
    const maxBytes =
      input.maxBytes === undefined
        ? undefined
        : parseMaxBytes(input.maxBytes, backend.maxBytes, inline ? INLINE_MAX_BYTES : MAX_BACKEND_MAX_BYTES);
    const credentials =
      input.credentials && Object.keys(input.credentials).length > 0 ? input.credentials : undefined;
    if (credentials && inline) {
      throw new CairnError(Code.InvalidArgument, 'the inline backend stores no credentials; leave them out');
    }

    if (credentials) backend = await this.#rotateCredentials(backend, credentials, signal);

    const changesFlags = input.isDefault !== undefined || input.isFallback !== undefined;
    if (!changesFlags && input.description === undefined && maxBytes === undefined) return backend;

    return this.store.transaction(async (tx) => {
      await lockOrganization(tx, orgId);
      // Re-read under the lock: another call may have moved the default meanwhile.
      const current = await this.#require(tx, orgId, { id: backend.id });
      if (input.isDefault === false && current.isDefault) {
        throw new CairnError(
          Code.FailedPrecondition,
          `"${current.name}" is the default backend; make another backend the default instead of unsetting it`,
        );
      }
      if (input.isFallback === true && (current.isDefault || input.isDefault === true)) {
        throw new CairnError(
          Code.FailedPrecondition,
          `"${current.name}" is the default backend and cannot also be the fallback; make another backend the default first`,
        );
      }
      if (input.isDefault === true && !current.isDefault) await tx.backends.clearDefault(orgId);
      if (input.isFallback === true && !current.isFallback) await tx.backends.clearFallback(orgId);
      const updated = await tx.backends.update(orgId, current.id, {
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(maxBytes === undefined ? {} : { maxBytes }),
        ...(input.isDefault === true ? { isDefault: true, isFallback: false } : {}),
        ...(input.isFallback === undefined ? {} : { isFallback: input.isFallback }),
      });
      if (!updated) throw notFound(ref);
      if (changesFlags) {
        await tx.events.append({
          orgId,
          kind: 'cas_backend.updated',
          subjectId: updated.id,
          data: summary(updated),
        });
      }
      return updated;
    });
  }

  /** Soft-deletes a backend; returns the organisation's default afterwards. */
  async delete(principal: Principal, ref: BackendRef): Promise<CasBackend> {
    const orgId = principal.orgId;
    return this.store.transaction(async (tx) => {
      await lockOrganization(tx, orgId);
      const backend = await this.#require(tx, orgId, ref);
      if (backend.provider === 'inline') {
        throw new CairnError(
          Code.FailedPrecondition,
          'the inline backend cannot be deleted; it is where small evidence lives',
        );
      }
      await tx.backends.softDelete(orgId, backend.id, new Date());
      await tx.events.append({
        orgId,
        kind: 'cas_backend.deleted',
        subjectId: backend.id,
        data: summary(backend),
      });
      if (backend.isDefault) await promoteNextDefault(tx, orgId);
      const defaultBackend = await tx.backends.findDefault(orgId);
      if (!defaultBackend) throw new CairnError(Code.Internal, 'the organisation has no default backend');
      this.logger.info('CAS backend deleted', { org: orgId, backendId: backend.id, backend: backend.name });
      return defaultBackend;
    });
  }

  async revalidate(principal: Principal, ref: BackendRef, signal: AbortSignal): Promise<CasBackend> {
    const backend = await this.#require(this.store, principal.orgId, ref);
    return this.validator.validate(backend, signal);
  }

  /**
   * Merges the changed fields over the stored credentials, writes the result under a new reference, has
   * the CAS check it, and only then points the backend at it and deletes the old secret. A failed check
   * leaves the old credentials in force (and the new secret deleted).
   */
  async #rotateCredentials(
    backend: CasBackend,
    changes: SecretValue,
    signal: AbortSignal,
  ): Promise<CasBackend> {
    const provider = backend.provider as ProviderKind;
    const merged = mergeCredentials(await this.#storedCredentials(backend, signal), changes);
    this.validator.parseCredentials(provider, merged);
    const secretRef = Object.keys(merged).length === 0 ? null : backendSecretRef(backend.orgId, backend.id);
    if (secretRef !== null) await this.secrets.put(secretRef, merged, signal);
    try {
      await this.validator.checkTarget({ ...backend, provider, secretRef }, signal);
    } catch (error) {
      await this.#forget(secretRef);
      throw checkFailed(
        error,
        `the new credentials of "${backend.name}" failed the write check, so the old ones stay in force`,
      );
    }
    const switched = await this.store.backends
      .replaceSecretRef(backend.orgId, backend.id, backend.secretRef, secretRef)
      .catch(async (error: unknown) => {
        await this.#forget(secretRef);
        throw error;
      });
    if (!switched) {
      await this.#forget(secretRef);
      throw new CairnError(
        Code.Aborted,
        `the credentials of "${backend.name}" were changed (or it was deleted) while these were checked; run \`cairn cas-backend update ${backend.name}\` again`,
        { details: { reason: 'concurrent_change' } },
      );
    }
    await this.#forget(backend.secretRef);
    this.logger.info('CAS backend credentials rotated', {
      org: backend.orgId,
      backendId: backend.id,
      backend: backend.name,
    });
    return this.validator.record(backend, { status: 'ok', error: null });
  }

  /** The credentials in force; none when the backend has none or the secret store lost them. */
  async #storedCredentials(backend: CasBackend, signal: AbortSignal): Promise<SecretValue> {
    if (backend.secretRef === null) return {};
    try {
      return await this.secrets.get(backend.secretRef, signal);
    } catch (error) {
      signal.throwIfAborted();
      if (error instanceof CairnError && error.code === Code.NotFound) return {};
      throw new CairnError(
        Code.Unavailable,
        `the current credentials of "${backend.name}" could not be read from the secret store (${CairnError.from(error).message}), so nothing was changed; run \`cairn cas-backend update ${backend.name}\` again once it is reachable`,
        { cause: error, details: { reason: 'secret_store_unavailable' } },
      );
    }
  }

  /** Deletes a secret that is not (or no longer) in force; a failure is logged, never thrown. */
  async #forget(secretRef: string | null): Promise<void> {
    if (secretRef === null) return;
    await this.secrets.delete(secretRef, AbortSignal.timeout(10_000)).catch((error: unknown) => {
      this.logger.warn('deleting unused backend credentials failed; they stay in the secret store', {
        ref: secretRef,
        error: CairnError.from(error).message,
      });
    });
  }

  async #require(repos: Repositories, orgId: string, ref: BackendRef): Promise<CasBackend> {
    const backend =
      'id' in ref
        ? isUuid(ref.id)
          ? await repos.backends.find(orgId, ref.id)
          : undefined
        : await repos.backends.findByName(orgId, ref.name);
    if (!backend) throw notFound(ref);
    return backend;
  }
}

/** When the default goes away: the fallback becomes the default, else the inline backend does. */
async function promoteNextDefault(tx: Repositories, orgId: string): Promise<void> {
  const next = (await tx.backends.findFallback(orgId)) ?? (await tx.backends.findInline(orgId));
  if (!next) return;
  await tx.backends.update(orgId, next.id, { isDefault: true, isFallback: false });
  await tx.events.append({
    orgId,
    kind: 'cas_backend.default_promoted',
    subjectId: next.id,
    data: { backend: next.name },
  });
}

async function lockOrganization(tx: Repositories, orgId: string): Promise<void> {
  if (!(await tx.organizations.lock(orgId)))
    throw new CairnError(Code.NotFound, 'the organisation no longer exists');
}

/** `changes` over `stored`; a field changed to '' is removed. */
export function mergeCredentials(stored: SecretValue, changes: SecretValue): SecretValue {
  const merged: Record<string, string> = { ...stored };
  for (const [field, value] of Object.entries(changes)) {
    if (value === '') delete merged[field];
    else merged[field] = value;
  }
  return merged;
}

/**
 * A write check that did not pass, as the caller's answer: UNAVAILABLE / DEADLINE_EXCEEDED when the CAS
 * could not be asked or did not answer in time, FAILED_PRECONDITION otherwise. The reason is always
 * `write_check_failed`; the CAS's own reason (or `unreachable`, `cas_not_configured`) is `check_reason`.
 */
function checkFailed(error: unknown, what: string): CairnError {
  const cause = CairnError.from(error);
  const code =
    cause.code === Code.Unavailable || cause.code === Code.DeadlineExceeded
      ? cause.code
      : Code.FailedPrecondition;
  const { reason, ...facts } = cause.details;
  return new CairnError(code, `${what}: ${cause.message}`, {
    cause,
    details: { ...facts, reason: 'write_check_failed', ...(reason ? { check_reason: reason } : {}) },
  });
}

function parseProvider(provider: string): ProviderKind {
  if (provider === 'inline') {
    throw new CairnError(
      Code.InvalidArgument,
      'every organisation has exactly one inline backend, created with it; choose oci, aws-s3, azure-blob or filesystem',
    );
  }
  if (!isProviderKind(provider)) {
    throw new CairnError(
      Code.InvalidArgument,
      `"${provider.slice(0, 40)}" is not a backend provider; use oci, aws-s3, azure-blob or filesystem`,
    );
  }
  return provider;
}

function parseMaxBytes(value: number | undefined, fallback: number, limit: number): number {
  if (value === undefined || value === 0) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > limit) {
    throw new CairnError(Code.InvalidArgument, `max bytes must be a whole number from 1 to ${limit}`);
  }
  return value;
}

function summary(backend: CasBackend): Record<string, unknown> {
  return {
    backend: backend.name,
    provider: backend.provider,
    location: backend.location,
    isDefault: backend.isDefault,
    isFallback: backend.isFallback,
  };
}

function neitherBoth(): CairnError {
  return new CairnError(
    Code.InvalidArgument,
    'a backend cannot be both the default and the fallback; choose one',
  );
}

function nameTaken(name: string): CairnError {
  return new CairnError(
    Code.AlreadyExists,
    `a backend named "${name}" exists already in this organisation; pick another name`,
  );
}

function notFound(ref: BackendRef): CairnError {
  const shown =
    'id' in ref
      ? `with id ${JSON.stringify(ref.id.slice(0, 40))}`
      : `named ${JSON.stringify(ref.name.slice(0, 70))}`;
  return new CairnError(Code.NotFound, `this organisation has no CAS backend ${shown}`);
}
