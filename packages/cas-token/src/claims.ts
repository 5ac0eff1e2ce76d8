import type { ProviderKind } from '@cairn/backends';

/** `upload` lets the bearer write blobs to the backend; `download` lets it read them. */
export type CasRole = 'upload' | 'download';

/** The backend a token grants access to, as the CAS needs it to build a driver. */
export interface BackendClaim {
  readonly id: string;
  readonly provider: ProviderKind;
  readonly location: string;
}

/** Verified claims of a CAS token (see DESIGN.md "CAS tokens"). Times are seconds since the epoch. */
export interface CasClaims {
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** The principal: a user, an API token or a workflow run. */
  readonly sub: string;
  readonly org: string;
  readonly role: CasRole;
  readonly backend: BackendClaim;
  /** Secret-store reference of the backend's credentials (empty when the backend needs none). */
  readonly secret: string;
  /** Largest blob this token may upload, in bytes. */
  readonly max_bytes: number;
  /** For downloads: the one blob (`sha256:<hex>`) this token may read. */
  readonly digest?: string;
}

/**
 * What the control plane decides when it mints a token; the minter adds `iss`, `aud`, `iat`, `exp`
 * and, unless given, a random `jti`.
 */
export type CasGrant = Omit<CasClaims, 'iss' | 'aud' | 'iat' | 'exp' | 'jti'> & { readonly jti?: string };
