import { type CacheScope, type ReadCache, SHARED_SCOPE } from '../read-cache.js';
import type { ApiToken, ApiTokenKind } from '../records.js';
import type { ApiTokenRow } from '../schema.js';
import type { Executor } from './executor.js';

export interface NewApiToken {
  readonly id: string;
  /** Null for (and only for) admin tokens. */
  readonly orgId: string | null;
  readonly name: string;
  readonly kind: ApiTokenKind;
  readonly tokenHash: string;
  readonly expiresAt: Date | null;
}

export class ApiTokenRepo {
  constructor(
    private readonly db: Executor,
    private readonly cache: ReadCache<ApiToken | undefined>,
    private readonly scope: CacheScope = SHARED_SCOPE,
  ) {}

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

  /** Read through the cache; an unknown hash is not kept, so guessed tokens cannot push real ones out. */
  async findByHash(tokenHash: string): Promise<ApiToken | undefined> {
    const load = async () => {
      const row = await this.db
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return row && toApiToken(row);
    };
    return this.scope.read(this.cache, tokenHash, load, (token) => token !== undefined);
  }

  /** The tokens of an organisation, or with `null` the admin tokens, oldest first. */
  async list(orgId: string | null): Promise<ApiToken[]> {
    const rows = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where((eb) => (orgId === null ? eb('org_id', 'is', null) : eb('org_id', '=', orgId)))
      .orderBy('created_at')
      .execute();
    return rows.map(toApiToken);
  }

  /**
   * Revokes a live token of the organisation (`null`: an admin token; `'any'`: whatever it belongs to);
   * false if there is none by that id.
   */
  async revoke(orgId: string | null | 'any', id: string, at: Date): Promise<boolean> {
    let query = this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null);
    if (orgId === null) query = query.where('org_id', 'is', null);
    else if (orgId !== 'any') query = query.where('org_id', '=', orgId);
    const result = await query.executeTakeFirst();
    this.#forget(id);
    return result.numUpdatedRows > 0n;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    // A kept copy with the old last_used_at would have every call write it again until the entry expired.
    // Other replicas are not told: theirs costs them one such write a minute, a notice per call would not.
    this.#forget(id, false);
  }

  #forget(id: string, tellReplicas = true): void {
    this.scope.invalidateWhere(this.cache, (token) => token?.id === id, tellReplicas);
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
