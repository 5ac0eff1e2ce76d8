import type { Selectable } from 'kysely';
import { toNumber } from '../numbers.js';
import type { MaterialSource, RunMaterialTable } from '../schema.js';
import type { Executor } from './executor.js';

/** A material of a run, as recorded. Exactly the field of its `source` is set among backendId, content and imageReference. */
export interface RunMaterial {
  /** Order of addition across the database; materials of one run sort by it. */
  readonly seq: number;
  readonly runId: string;
  readonly orgId: string;
  readonly name: string;
  /** One of @cairn/attestation's MATERIAL_KINDS. */
  readonly kind: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations: Readonly<Record<string, string>>;
  readonly fileName: string | null;
  readonly source: MaterialSource;
  readonly backendId: string | null;
  readonly content: Uint8Array | null;
  readonly imageReference: string | null;
  readonly statementBytes: number;
  readonly createdAt: Date;
}

export type NewRunMaterial = Omit<RunMaterial, 'seq' | 'createdAt'>;

/** The materials of runs; a name is unique within its run (`run_materials_run_name`). */
export class RunMaterialRepo {
  constructor(private readonly db: Executor) {}

  async insert(material: NewRunMaterial): Promise<RunMaterial> {
    const row = await this.db
      .insertInto('run_materials')
      .values({
        run_id: material.runId,
        org_id: material.orgId,
        name: material.name,
        kind: material.kind,
        digest: material.digest,
        size: material.size,
        annotations: JSON.stringify(material.annotations),
        file_name: material.fileName,
        source: material.source,
        backend_id: material.backendId,
        content: material.content,
        image_reference: material.imageReference,
        statement_bytes: material.statementBytes,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRunMaterial(row);
  }

  async exists(orgId: string, runId: string, name: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('run_materials')
      .select('seq')
      .where('org_id', '=', orgId)
      .where('run_id', '=', runId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The run's materials in the order they were added. */
  async list(orgId: string, runId: string): Promise<RunMaterial[]> {
    const rows = await this.db
      .selectFrom('run_materials')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('run_id', '=', runId)
      .orderBy('seq')
      .execute();
    return rows.map(toRunMaterial);
  }

  /** What the run's materials take in its statement, in bytes. */
  async statementBytes(orgId: string, runId: string): Promise<number> {
    const row = await this.db
      .selectFrom('run_materials')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number>('statement_bytes'), eb.lit(0)).as('total'))
      .where('org_id', '=', orgId)
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow();
    return toNumber(row.total);
  }
}

function toRunMaterial(row: Selectable<RunMaterialTable>): RunMaterial {
  return {
    seq: toNumber(row.seq),
    runId: row.run_id,
    orgId: row.org_id,
    name: row.name,
    kind: row.kind,
    digest: row.digest,
    size: toNumber(row.size),
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    fileName: row.file_name,
    source: row.source,
    backendId: row.backend_id,
    content: row.content && toBytes(row.content),
    imageReference: row.image_reference,
    statementBytes: row.statement_bytes,
    createdAt: row.created_at,
  };
}

/** `pg` hands bytea out as a Buffer and PGlite as a Uint8Array; callers get a plain view either way. */
function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}
