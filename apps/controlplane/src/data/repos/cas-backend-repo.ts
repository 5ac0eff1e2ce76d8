import { toNumber } from '../numbers.js';
import { type CacheScope, type ReadCache, SHARED_SCOPE } from '../read-cache.js';
import type { BackendProvider, CasBackend, ValidationStatus } from '../records.js';
import type { CasBackendRow } from '../schema.js';
import type { Executor } from './executor.js';

export interface NewCasBackend {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly provider: BackendProvider;
  readonly location: string;
  readonly description: string;
  readonly isDefault: boolean;
  readonly isFallback: boolean;
  readonly maxBytes: number;
  readonly secretRef: string | null;
  readonly validationStatus: ValidationStatus;
  readonly validationError: string | null;
  readonly validatedAt: Date | null;
}

export interface CasBackendChanges {
  readonly description?: string;
  readonly isDefault?: boolean;
  readonly isFallback?: boolean;
  readonly maxBytes?: number;
}

export interface ValidationResult {
  readonly status: ValidationStatus;
  readonly error: string | null;
  readonly at: Date;
}

export class CasBackendRepo {
  constructor(
    private readonly db: Executor,
    /** An organisation's default and fallback, which every upload token reads. */
    private readonly cache: ReadCache<CasBackend | undefined>,
    private readonly scope: CacheScope = SHARED_SCOPE,
  ) {}

  async insert(backend: NewCasBackend): Promise<CasBackend> {
    const row = await this.db
      .insertInto('cas_backends')
      .values({
        id: backend.id,
        org_id: backend.orgId,
        name: backend.name,
        provider: backend.provider,
        location: backend.location,
        description: backend.description,
        is_default: backend.isDefault,
        is_fallback: backend.isFallback,
        max_bytes: backend.maxBytes,
        secret_ref: backend.secretRef,
        validation_status: backend.validationStatus,
        validation_error: backend.validationError,
        validated_at: backend.validatedAt,
        updated_at: new Date(),
        deleted_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    this.#forget(backend.orgId);
    return toCasBackend(row);
  }

  /** A backend of the organisation; soft-deleted ones only when asked for (downloads still read them). */
  async find(
    orgId: string,
    id: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<CasBackend | undefined> {
    let query = this.db
      .selectFrom('cas_backends')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id);
    if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
    const row = await query.executeTakeFirst();
    return row && toCasBackend(row);
  }

  async findByName(orgId: string, name: string): Promise<CasBackend | undefined> {
    const row = await this.live(orgId).where('name', '=', name).executeTakeFirst();
    return row && toCasBackend(row);
  }

  async list(orgId: string): Promise<CasBackend[]> {
    const rows = await this.live(orgId).orderBy('created_at').orderBy('name').execute();
    return rows.map(toCasBackend);
  }

  async findDefault(orgId: string): Promise<CasBackend | undefined> {
    return this.#cached(`default:${orgId}`, async () => {
      const row = await this.live(orgId).where('is_default', '=', true).executeTakeFirst();
      return row && toCasBackend(row);
    });
  }

  async findFallback(orgId: string): Promise<CasBackend | undefined> {
    return this.#cached(`fallback:${orgId}`, async () => {
      const row = await this.live(orgId).where('is_fallback', '=', true).executeTakeFirst();
      return row && toCasBackend(row);
    });
  }

  async findInline(orgId: string): Promise<CasBackend | undefined> {
    const row = await this.live(orgId)
      .where('provider', '=', 'inline')
      .orderBy('created_at')
      .executeTakeFirst();
    return row && toCasBackend(row);
  }

  async clearDefault(orgId: string): Promise<void> {
    await this.db
      .updateTable('cas_backends')
      .set({ is_default: false, updated_at: new Date() })
      .where('org_id', '=', orgId)
      .where('is_default', '=', true)
      .execute();
    this.#forget(orgId);
  }

  async clearFallback(orgId: string): Promise<void> {
    await this.db
      .updateTable('cas_backends')
      .set({ is_fallback: false, updated_at: new Date() })
      .where('org_id', '=', orgId)
      .where('is_fallback', '=', true)
      .execute();
    this.#forget(orgId);
  }

  async update(orgId: string, id: string, changes: CasBackendChanges): Promise<CasBackend | undefined> {
    const row = await this.db
      .updateTable('cas_backends')
      .set({
        updated_at: new Date(),
        ...(changes.description === undefined ? {} : { description: changes.description }),
        ...(changes.isDefault === undefined ? {} : { is_default: changes.isDefault }),
        ...(changes.isFallback === undefined ? {} : { is_fallback: changes.isFallback }),
        ...(changes.maxBytes === undefined ? {} : { max_bytes: changes.maxBytes }),
      })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    this.#forget(orgId);
    return row && toCasBackend(row);
  }

  /**
   * Points a live backend at new credentials, only while it still names `from` (a concurrent rotation
   * wins otherwise); false when it did not.
   */
  async replaceSecretRef(
    orgId: string,
    id: string,
    from: string | null,
    to: string | null,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('cas_backends')
      .set({ secret_ref: to, updated_at: new Date() })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .where((eb) => (from === null ? eb('secret_ref', 'is', null) : eb('secret_ref', '=', from)))
      .executeTakeFirst();
    this.#forget(orgId);
    return result.numUpdatedRows > 0n;
  }

  async softDelete(orgId: string, id: string, at: Date): Promise<CasBackend | undefined> {
    const row = await this.db
      .updateTable('cas_backends')
      .set({ deleted_at: at, updated_at: at, is_default: false, is_fallback: false })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    this.#forget(orgId);
    return row && toCasBackend(row);
  }

  /** Stores a validation outcome and returns the status it replaced (undefined if the backend is gone). */
  async recordValidation(id: string, result: ValidationResult): Promise<ValidationStatus | undefined> {
    const previous = await this.db
      .selectFrom('cas_backends')
      .select('validation_status')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!previous) return undefined;
    await this.db
      .updateTable('cas_backends')
      .set({ validation_status: result.status, validation_error: result.error, validated_at: result.at })
      .where('id', '=', id)
      .execute();
    this.scope.invalidateWhere(this.cache, (backend) => backend?.id === id);
    return previous.validation_status;
  }

  /**
   * Live backends that hold credentials, across organisations, whose last check is older than `before`
   * (or never happened); `onlyDefaultOrFallback` narrows to the ones uploads depend on, `onlyFailed` to
   * those whose last check failed.
   */
  async dueForValidation(options: {
    before: Date;
    onlyDefaultOrFallback: boolean;
    onlyFailed?: boolean;
    limit: number;
  }): Promise<CasBackend[]> {
    let query = this.db
      .selectFrom('cas_backends')
      .selectAll()
      .where('deleted_at', 'is', null)
      .where('provider', '!=', 'inline')
      .where((eb) => eb.or([eb('validated_at', 'is', null), eb('validated_at', '<', options.before)]));
    if (options.onlyDefaultOrFallback) {
      query = query.where((eb) => eb.or([eb('is_default', '=', true), eb('is_fallback', '=', true)]));
    }
    if (options.onlyFailed) query = query.where('validation_status', '=', 'failed');
    const rows = await query
      .orderBy('validated_at', (ob) => ob.nullsFirst())
      .limit(options.limit)
      .execute();
    return rows.map(toCasBackend);
  }

  #cached(key: string, load: () => Promise<CasBackend | undefined>): Promise<CasBackend | undefined> {
    return this.scope.read(this.cache, key, load);
  }

  #forget(orgId: string): void {
    this.scope.invalidate(this.cache, `default:${orgId}`);
    this.scope.invalidate(this.cache, `fallback:${orgId}`);
  }

  private live(orgId: string) {
    return this.db
      .selectFrom('cas_backends')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('deleted_at', 'is', null);
  }
}

export function toCasBackend(row: CasBackendRow): CasBackend {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    provider: row.provider,
    location: row.location,
    description: row.description,
    isDefault: row.is_default,
    isFallback: row.is_fallback,
    validationStatus: row.validation_status,
    validationError: row.validation_error,
    validatedAt: row.validated_at,
    maxBytes: toNumber(row.max_bytes),
    secretRef: row.secret_ref,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}
