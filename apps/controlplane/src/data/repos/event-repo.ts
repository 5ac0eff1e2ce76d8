import { toNumber } from '../numbers.js';
import type { EventRecord } from '../records.js';
import type { Executor } from './executor.js';

export interface NewEvent {
  readonly orgId: string;
  readonly kind: string;
  readonly subjectId: string;
  /** Must never hold a secret. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** The audit trail of things that happened to an organisation's resources (e.g. validation changes). */
export class EventRepo {
  constructor(private readonly db: Executor) {}

  async append(event: NewEvent): Promise<void> {
    await this.db
      .insertInto('events')
      .values({
        org_id: event.orgId,
        kind: event.kind,
        subject_id: event.subjectId,
        data: JSON.stringify(event.data),
      })
      .execute();
  }

  async list(orgId: string, options: { kind?: string; limit?: number } = {}): Promise<EventRecord[]> {
    let query = this.db.selectFrom('events').selectAll().where('org_id', '=', orgId);
    if (options.kind !== undefined) query = query.where('kind', '=', options.kind);
    const rows = await query
      .orderBy('id')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map((row) => ({
      id: toNumber(row.id),
      orgId: row.org_id,
      kind: row.kind,
      subjectId: row.subject_id,
      data: JSON.parse(row.data) as Record<string, unknown>,
      createdAt: row.created_at,
    }));
  }
}
