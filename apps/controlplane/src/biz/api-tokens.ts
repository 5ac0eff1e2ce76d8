import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { ApiToken, ApiTokenKind, DataStore } from '../data/index.js';
import type { Principal } from './principal.js';

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

/** API tokens of people and CI robots: random, shown once, kept as sha256 hashes, revocable, per organisation. */
export class ApiTokens {
  constructor(
    private readonly store: DataStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates a token; `secret` is returned this once and never stored. */
  async create(orgId: string, request: NewApiTokenRequest): Promise<{ token: ApiToken; secret: string }> {
    const name = request.name.trim();
    if (name === '' || name.length > 100) {
      throw new CairnError(Code.InvalidArgument, 'an API token needs a name of 1–100 characters');
    }
    if (request.expiresAt && request.expiresAt.getTime() <= this.now().getTime()) {
      throw new CairnError(Code.InvalidArgument, 'the expiry of an API token must lie in the future');
    }
    const secret = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const token = await this.store.apiTokens.insert({
      id: randomUUID(),
      orgId,
      name,
      kind: request.kind,
      tokenHash: hashApiToken(secret),
      expiresAt: request.expiresAt ?? null,
    });
    return { token, secret };
  }

  list(orgId: string): Promise<ApiToken[]> {
    return this.store.apiTokens.list(orgId);
  }

  async revoke(orgId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.store.apiTokens.revoke(orgId, id, this.now()))) {
      throw new CairnError(
        Code.NotFound,
        `this organisation has no live API token ${JSON.stringify(id.slice(0, 40))}`,
      );
    }
  }

  /** Resolves a bearer token to its principal; UNAUTHENTICATED for anything that is not a live token. */
  async authenticate(secret: string): Promise<Principal> {
    if (!TOKEN_SHAPE.test(secret)) {
      throw new CairnError(Code.Unauthenticated, 'send an API token as `authorization: Bearer cairn_...`');
    }
    const token = await this.store.apiTokens.findByHash(hashApiToken(secret));
    const now = this.now();
    if (!token || token.revokedAt) {
      throw new CairnError(Code.Unauthenticated, 'the API token is unknown or revoked; create a new one');
    }
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) {
      throw new CairnError(Code.Unauthenticated, 'the API token has expired; create a new one');
    }
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.store.apiTokens.touch(token.id, now);
    }
    return { orgId: token.orgId, tokenId: token.id, kind: token.kind, subject: `api-token:${token.id}` };
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
