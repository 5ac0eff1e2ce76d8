import { randomUUID } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import {
  type ApiToken,
  type DataStore,
  isUniqueViolation,
  type Organization,
  type Repositories,
} from '../data/index.js';
import type { ApiTokens } from './api-tokens.js';
import { parseDnsLabel } from './names.js';
import { type Caller, isAdmin } from './principal.js';
import { adminOnly } from './scope.js';

/** The inline backend's cap: evidence embedded in an attestation stays small. */
export const INLINE_MAX_BYTES = 500 * 1024;
export const INLINE_BACKEND_NAME = 'inline';
/** The name of an organisation's first API token unless the creator gives one. */
export const FIRST_TOKEN_NAME = 'first';

export class Organizations {
  constructor(
    private readonly store: DataStore,
    private readonly apiTokens: ApiTokens,
  ) {}

  /** Creates an organisation together with its inline backend, which starts as the default. */
  async create(name: string): Promise<Organization> {
    parseDnsLabel(name, 'the organisation name');
    return this.#inTransaction(name, (tx) => this.#insert(tx, name));
  }

  /**
   * Admin tokens only: an organisation with its inline backend and a first user API token, made in one
   * transaction; the token's secret is returned this once.
   */
  async createAs(
    caller: Caller,
    name: string,
    tokenName = FIRST_TOKEN_NAME,
  ): Promise<{ organization: Organization; token: ApiToken; secret: string }> {
    if (!isAdmin(caller)) {
      throw adminOnly(
        'create organisations',
        'an operator makes one with `controlplane bootstrap --admin`, then runs `cairn org create NAME` with it',
      );
    }
    parseDnsLabel(name, 'the organisation name');
    return this.#inTransaction(name, async (tx) => {
      const organization = await this.#insert(tx, name);
      const first = await this.apiTokens.create(
        organization.id,
        { name: tokenName || FIRST_TOKEN_NAME, kind: 'user' },
        tx,
      );
      return { organization, ...first };
    });
  }

  /** An admin token sees every organisation; an organisation's token its own. */
  async listAs(caller: Caller): Promise<Organization[]> {
    if (isAdmin(caller)) return this.store.organizations.list();
    const own = await this.store.organizations.findById(caller.orgId);
    return own ? [own] : [];
  }

  findByName(name: string): Promise<Organization | undefined> {
    return this.store.organizations.findByName(name);
  }

  findById(id: string): Promise<Organization | undefined> {
    return this.store.organizations.findById(id);
  }

  async #inTransaction<T>(name: string, work: (tx: Repositories) => Promise<T>): Promise<T> {
    try {
      return await this.store.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new CairnError(
          Code.AlreadyExists,
          `an organisation named "${name}" exists already; pick another name (\`cairn org list\` shows them)`,
        );
      }
      throw error;
    }
  }

  async #insert(tx: Repositories, name: string): Promise<Organization> {
    const org = await tx.organizations.insert({ id: randomUUID(), name });
    await tx.backends.insert({
      id: randomUUID(),
      orgId: org.id,
      name: INLINE_BACKEND_NAME,
      provider: 'inline',
      location: '',
      description: 'Evidence embedded in the attestation',
      isDefault: true,
      isFallback: false,
      maxBytes: INLINE_MAX_BYTES,
      secretRef: null,
      // Nothing to check: the inline backend is the database itself.
      validationStatus: 'ok',
      validationError: null,
      validatedAt: new Date(),
    });
    return org;
  }
}
