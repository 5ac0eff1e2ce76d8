import type { ApiTokenKind } from '../data/index.js';

/** Who is calling: resolved from an API token, and confined to that token's organisation. */
export interface Principal {
  readonly orgId: string;
  readonly tokenId: string;
  readonly kind: ApiTokenKind;
  /** The `sub` of tokens minted for this caller, e.g. `api-token:<id>`. */
  readonly subject: string;
}
