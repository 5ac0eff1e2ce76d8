import { toNumber } from '../numbers.js';
import type { Executor } from './executor.js';

/** An attestation as stored, without the bundle's bytes (load those with `loadBundle`). */
export interface AttestationRecord {
  readonly id: string;
  readonly orgId: string;
  readonly runId: string;
  /** `sha256:<hex>` of the bundle. */
  readonly digest: string;
  readonly size: number;
  readonly backendId: string;
  readonly backendIsFallback: boolean;
  /** False when `attestations.skipDbStorage` sent the bundle only to the CAS. */
  readonly storedInDatabase: boolean;
  readonly storedInCasAt: Date | null;
  readonly createdAt: Date;
}

export interface NewAttestation {
  readonly id: string;
  readonly orgId: string;
  readonly runId: string;
  readonly digest: string;
  readonly size: number;
  /** Null when the bundle went only to the CAS. */
  readonly bundle: Uint8Array | null;
  readonly backendId: string;
  readonly backendIsFallback: boolean;
  readonly storedInCasAt: Date | null;
  /** True when the database keeps the bundle and a background copy is to put it in the CAS. */
  readonly casCopyPending: boolean;
}

/** A bundle the database holds but the CAS has not confirmed yet. */
export interface PendingCasCopy {
  readonly id: string;
  readonly orgId: string;
  readonly digest: string;
  readonly backendId: string;
  readonly bundle: Uint8Array;
}

const METADATA = [
  'id',
  'org_id',
  'run_id',
  'digest',
  'size',
  'backend_id',
  'backend_is_fallback',
  'stored_in_cas_at',
  'created_at',
] as const;

export class AttestationRepo {
  constructor(private readonly db: Executor) {}

  async insert(attestation: NewAttestation): Promise<AttestationRecord> {
    const row = await this.db
      .insertInto('attestations')
      .values({
        id: attestation.id,
        org_id: attestation.orgId,
        run_id: attestation.runId,
        digest: attestation.digest,
        bundle: attestation.bundle,
        size: attestation.size,
        backend_id: attestation.backendId,
        backend_is_fallback: attestation.backendIsFallback,
        stored_in_cas_at: attestation.storedInCasAt,
        cas_copy_pending: attestation.casCopyPending,
      })
      .returning('created_at')
      .executeTakeFirstOrThrow();
    return {
      id: attestation.id,
      orgId: attestation.orgId,
      runId: attestation.runId,
      digest: attestation.digest,
      size: attestation.size,
      backendId: attestation.backendId,
      backendIsFallback: attestation.backendIsFallback,
      storedInDatabase: attestation.bundle !== null,
      storedInCasAt: attestation.storedInCasAt,
      createdAt: row.created_at,
    };
  }

  findByDigest(orgId: string, digest: string): Promise<AttestationRecord | undefined> {
    return this.#find(orgId, 'digest', digest);
  }

  findByRun(orgId: string, runId: string): Promise<AttestationRecord | undefined> {
    return this.#find(orgId, 'run_id', runId);
  }

  /** The bundle's bytes if the database holds them. */
  async loadBundle(orgId: string, id: string): Promise<Uint8Array | undefined> {
    const row = await this.db
      .selectFrom('attestations')
      .select('bundle')
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.bundle ? toBytes(row.bundle) : undefined;
  }

  /** Ids of bundles stored before `createdBefore` still waiting for their CAS copy, oldest first. */
  async pendingCasCopies(createdBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('attestations')
      .select('id')
      .where('cas_copy_pending', '=', true)
      .where('created_at', '<', createdBefore)
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /** The bundle and its target, if it still waits for its CAS copy. */
  async findPendingCasCopy(id: string): Promise<PendingCasCopy | undefined> {
    const row = await this.db
      .selectFrom('attestations')
      .select(['id', 'org_id', 'digest', 'backend_id', 'bundle'])
      .where('id', '=', id)
      .where('cas_copy_pending', '=', true)
      .executeTakeFirst();
    if (!row?.bundle) return undefined;
    return {
      id: row.id,
      orgId: row.org_id,
      digest: row.digest,
      backendId: row.backend_id,
      bundle: toBytes(row.bundle),
    };
  }

  async markStoredInCas(id: string, at: Date): Promise<void> {
    await this.db
      .updateTable('attestations')
      .set({ stored_in_cas_at: at, cas_copy_pending: false })
      .where('id', '=', id)
      .where('cas_copy_pending', '=', true)
      .execute();
  }

  async #find(
    orgId: string,
    column: 'id' | 'digest' | 'run_id',
    value: string,
  ): Promise<AttestationRecord | undefined> {
    const row = await this.db
      .selectFrom('attestations')
      .select(METADATA)
      .select((eb) => eb('bundle', 'is not', null).as('in_database'))
      .where('org_id', '=', orgId)
      .where(column, '=', value)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      orgId: row.org_id,
      runId: row.run_id,
      digest: row.digest,
      size: toNumber(row.size),
      backendId: row.backend_id,
      backendIsFallback: row.backend_is_fallback,
      storedInDatabase: row.in_database === true,
      storedInCasAt: row.stored_in_cas_at,
      createdAt: row.created_at,
    };
  }
}

/** `pg` hands bytea out as a Buffer and PGlite as a Uint8Array; callers get a plain view either way. */
function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
