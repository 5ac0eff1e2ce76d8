import type { Organization } from '../records.js';
import type { OrganizationRow } from '../schema.js';
import type { Executor } from './executor.js';

export class OrganizationRepo {
  constructor(private readonly db: Executor) {}

  async insert(org: { id: string; name: string }): Promise<Organization> {
    const row = await this.db
      .insertInto('organizations')
      .values(org)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toOrganization(row);
  }

  async findById(id: string): Promise<Organization | undefined> {
    const row = await this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toOrganization(row);
  }

  async findByName(name: string): Promise<Organization | undefined> {
    const row = await this.db
      .selectFrom('organizations')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toOrganization(row);
  }

  async list(): Promise<Organization[]> {
    const rows = await this.db.selectFrom('organizations').selectAll().orderBy('created_at').execute();
    return rows.map(toOrganization);
  }

  /**
   * Locks the organisation's row until the transaction ends. Every change to an organisation's
   * default/fallback takes it first, so concurrent changes queue instead of racing on the unique indexes.
   */
  async lock(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('organizations')
      .select('id')
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row !== undefined;
  }
}

function toOrganization(row: OrganizationRow): Organization {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}
