import type { ApiToken, ApiTokenKind } from '../records.js';
import type { ApiTokenRow } from '../schema.js';
import type { Executor } from './executor.js';

export interface NewApiToken {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly kind: ApiTokenKind;
  readonly tokenHash: string;
  readonly expiresAt: Date | null;
}

export class ApiTokenRepo {
  constructor(private readonly db: Executor) {}

  async insert(token: NewApiToken): Promise<ApiToken> {
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        id: token.id,
        org_id: token.orgId,
        name: token.name,
        kind: token.kind,
        token_hash: token.tokenHash,
        expires_at: token.expiresAt,
        revoked_at: null,
        last_used_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiToken(row);
  }

  async findByHash(tokenHash: string): Promise<ApiToken | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row && toApiToken(row);
  }

  async list(orgId: string): Promise<ApiToken[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .execute();
    return rows.map(toApiToken);
  }

  /** Revokes a live token of the organisation; false if there is none by that id. */
  async revoke(orgId: string, id: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    kind: row.kind,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
