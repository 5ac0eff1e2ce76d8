import { toNumber } from '../numbers.js';
import type { BlobLocation, CasBackend } from '../records.js';
import { toCasBackend } from './cas-backend-repo.js';
import type { Executor } from './executor.js';

export class BlobLocationRepo {
  constructor(private readonly db: Executor) {}

  /** Records that `digest` is stored on `backendId`; recording it again changes nothing. */
  async record(location: { orgId: string; digest: string; backendId: string; size: number }): Promise<void> {
    await this.db
      .insertInto('blob_locations')
      .values({
        org_id: location.orgId,
        digest: location.digest,
        backend_id: location.backendId,
        size: location.size,
      })
      .onConflict((oc) => oc.columns(['org_id', 'digest', 'backend_id']).doNothing())
      .execute();
  }

  async list(orgId: string, digest: string): Promise<BlobLocation[]> {
    const rows = await this.db
      .selectFrom('blob_locations')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('digest', '=', digest)
      .orderBy('created_at')
      .execute();
    return rows.map((row) => ({
      orgId: row.org_id,
      digest: row.digest,
      backendId: row.backend_id,
      size: toNumber(row.size),
      createdAt: row.created_at,
    }));
  }

  /**
   * The backend holding `digest` for the organisation, soft-deleted ones included (their blobs stay
   * readable). When several hold it, a live backend wins over a deleted one, then the newest mapping.
   */
  async findBackend(orgId: string, digest: string): Promise<CasBackend | undefined> {
    const row = await this.db
      .selectFrom('blob_locations as l')
      .innerJoin('cas_backends as b', 'b.id', 'l.backend_id')
      .selectAll('b')
      .where('l.org_id', '=', orgId)
      .where('l.digest', '=', digest)
      .where('b.org_id', '=', orgId)
      .orderBy((eb) => eb('b.deleted_at', 'is', null), 'desc')
      .orderBy('l.created_at', 'desc')
      .executeTakeFirst();
    return row && toCasBackend(row);
  }
}
