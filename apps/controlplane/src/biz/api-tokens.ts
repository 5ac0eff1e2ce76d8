import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { ApiToken, ApiTokenKind, DataStore, Organization, Repositories } from '../data/index.js';
import { type Caller, isAdmin } from './principal.js';
import { actingOrganization, adminOnly } from './scope.js';

/** Every API token starts with this, so secret scanners and people recognise it. */
export const API_TOKEN_PREFIX = 'cairn_';
const TOKEN_SHAPE = /^cairn_[A-Za-z0-9_-]{43}$/;
/** `last_used_at` is written at most this often per token, so authentication stays a read. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function hashApiToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export interface NewApiTokenRequest {
  readonly name: string;
  readonly kind: ApiTokenKind;
  readonly expiresAt?: Date | undefined;
}

/** A token request as a caller makes it, naming the organisation by name (or none). */
export interface ApiTokenRequestAs extends NewApiTokenRequest {
  readonly organization?: string | undefined;
}

/** A token with the organisation it belongs to (undefined for admin tokens). */
export interface ScopedApiToken {
  readonly token: ApiToken;
  readonly organization: Organization | undefined;
}

/**
 * API tokens of people and CI robots of an organisation, and admin tokens of the instance: random, shown
 * once, kept as sha256 hashes, revocable. `create`, `list` and `revoke` trust their caller (start-up and
 * operator tasks); the `…As` methods apply the rules of who may do what to whose tokens.
 */
export class ApiTokens {
  constructor(
    private readonly store: DataStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates a token of the organisation `orgId`, or an admin token with `null` (in `repos`, e.g. a
   * transaction); `secret` is returned this once and never stored.
   */
  async create(
    orgId: string | null,
    request: NewApiTokenRequest,
    repos: Repositories = this.store,
  ): Promise<{ token: ApiToken; secret: string }> {
    const name = request.name.trim();
    if (name === '' || name.length > 100) {
      throw new CairnError(Code.InvalidArgument, 'an API token needs a name of 1–100 characters');
    }
    if (request.expiresAt && request.expiresAt.getTime() <= this.now().getTime()) {
      throw new CairnError(Code.InvalidArgument, 'the expiry of an API token must lie in the future');
    }
    if ((request.kind === 'admin') !== (orgId === null)) {
      throw new CairnError(
        Code.Internal,
        'an admin token has no organisation, and every other token has one',
      );
    }
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const token = await repos.apiTokens.insert({
      id: randomUUID(),
      orgId,
      name,
      kind: request.kind,
      tokenHash: hashApiToken(secret),
      expiresAt: request.expiresAt ?? null,
    });
    return { token, secret };
  }

  /** The tokens of an organisation, or with `null` the admin tokens. */
  list(orgId: string | null): Promise<ApiToken[]> {
    return this.store.apiTokens.list(orgId);
  }

  /** Revokes a live token of the organisation (`null`: an admin token; `'any'`: any token). */
  async revoke(orgId: string | null | 'any', id: string): Promise<void> {
    if (!isUuid(id) || !(await this.store.apiTokens.revoke(orgId, id, this.now()))) {
      const shown = JSON.stringify(id.slice(0, 40));
      const missing =
        orgId === 'any'
          ? `there is no live API token ${shown}`
          : orgId === null
            ? `there is no live admin token ${shown}`
            : `this organisation has no live API token ${shown}`;
      throw new CairnError(Code.NotFound, `${missing}; \`cairn token list\` shows them`);
    }
  }

  /**
   * A token made by `caller`: an organisation's token for its own organisation (naming another is
   * PERMISSION_DENIED); an admin token for the organisation it names, or an admin token (admins only).
   */
  async createAs(
    caller: Caller,
    request: ApiTokenRequestAs,
  ): Promise<{ token: ApiToken; secret: string; organization: Organization | undefined }> {
    if (request.kind === 'admin') {
      if (!isAdmin(caller)) {
        throw adminOnly(
          'create admin tokens',
          'an operator makes the first with `controlplane bootstrap --admin`',
        );
      }
      if (request.organization) {
        throw new CairnError(
          Code.InvalidArgument,
          'an admin token belongs to no organisation; leave the organisation out (`cairn token create --admin`)',
        );
      }
      return { ...(await this.create(null, request)), organization: undefined };
    }
    const organization = await actingOrganization(
      this.store,
      caller,
      request.organization,
      'cairn token create',
    );
    return { ...(await this.create(organization.id, request)), organization };
  }

  /** The tokens `caller` may see: its organisation's, the named one's (admins), or the admin tokens. */
  async listAs(caller: Caller, organizationName?: string): Promise<ScopedApiToken[]> {
    if (isAdmin(caller) && !organizationName) {
      return (await this.list(null)).map((token) => ({ token, organization: undefined }));
    }
    const organization = await actingOrganization(this.store, caller, organizationName, 'cairn token list');
    return (await this.list(organization.id)).map((token) => ({ token, organization }));
  }

  /** Revokes a token in `caller`'s scope: its organisation's, the named one's, or (admins) any by id. */
  async revokeAs(caller: Caller, id: string, organizationName?: string): Promise<void> {
    if (isAdmin(caller) && !organizationName) return this.revoke('any', id);
    const organization = await actingOrganization(this.store, caller, organizationName, 'cairn token revoke');
    return this.revoke(organization.id, id);
  }

  /** Resolves a bearer token to its caller; UNAUTHENTICATED for anything that is not a live token. */
  async authenticate(secret: string): Promise<Caller> {
    if (!TOKEN_SHAPE.test(secret)) {
      throw new CairnError(Code.Unauthenticated, 'send an API token as `authorization: Bearer cairn_...`');
    }
    const token = await this.store.apiTokens.findByHash(hashApiToken(secret));
    const now = this.now();
    if (!token || token.revokedAt) {
      throw new CairnError(
        Code.Unauthenticated,
        'the API token is unknown or revoked; use a live one (`cairn token create` makes one, an admin adds `--org NAME`)',
      );
    }
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) {
      throw new CairnError(
        Code.Unauthenticated,
        'the API token has expired; use a live one (`cairn token create` makes one, an admin adds `--org NAME`)',
      );
    }
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.store.apiTokens.touch(token.id, now);
    }
    const subject = `api-token:${token.id}`;
    if (token.kind === 'admin') return { orgId: null, tokenId: token.id, kind: 'admin', subject };
    if (token.orgId === null)
      throw new CairnError(Code.Internal, 'an organisation token without organisation');
    return { orgId: token.orgId, tokenId: token.id, kind: token.kind, subject };
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
