import { toNumber } from '../numbers.js';
import type { Executor } from './executor.js';

export interface RunMaterial {
  readonly runId: string;
  readonly orgId: string;
  readonly digest: string;
  readonly backendId: string;
  readonly size: number;
  readonly createdAt: Date;
}

/** Blobs uploaded during a run, recorded against it once the CAS confirmed them. */
export class RunMaterialRepo {
  constructor(private readonly db: Executor) {}

  /** Records a material; recording it again for the same run changes nothing. */
  async record(material: Omit<RunMaterial, 'createdAt'>): Promise<void> {
    await this.db
      .insertInto('run_materials')
      .values({
        run_id: material.runId,
        org_id: material.orgId,
        digest: material.digest,
        backend_id: material.backendId,
        size: material.size,
      })
      .onConflict((oc) => oc.columns(['run_id', 'digest']).doNothing())
      .execute();
  }

  async list(orgId: string, runId: string): Promise<RunMaterial[]> {
    const rows = await this.db
      .selectFrom('run_materials')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('run_id', '=', runId)
      .orderBy('created_at')
      .orderBy('digest')
      .execute();
    return rows.map((row) => ({
      runId: row.run_id,
      orgId: row.org_id,
      digest: row.digest,
      backendId: row.backend_id,
      size: toNumber(row.size),
      createdAt: row.created_at,
    }));
  }
}
