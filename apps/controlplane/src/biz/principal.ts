/** Who is calling with an organisation's API token; confined to that organisation. */
export interface Principal {
  readonly orgId: string;
  readonly tokenId: string;
  readonly kind: 'user' | 'robot';
  /** The `sub` of tokens minted for this caller, e.g. `api-token:<id>`. */
  readonly subject: string;
}

/** Who is calling with an admin token: the whole instance, no organisation of its own. */
export interface AdminPrincipal {
  readonly orgId: null;
  readonly tokenId: string;
  readonly kind: 'admin';
  readonly subject: string;
}

/** Whoever an API token resolves to. */
export type Caller = Principal | AdminPrincipal;

export function isAdmin(caller: Caller): caller is AdminPrincipal {
  return caller.kind === 'admin';
}
