import type { CasRole } from '@cairn/cas-token';

/** What a CAS call needs a token for: uploads need `upload`; a download may be bound to its digest. */
export interface TokenRequest {
  readonly role: CasRole;
  readonly digest?: string;
}

/** One place CAS tokens can come from; the CLI uses the first one that is configured. */
export interface CasTokenSource {
  /** Named in error messages so the user knows which token was refused, e.g. `--cas-token`. */
  readonly origin: string;
  token(request: TokenRequest, signal?: AbortSignal): Promise<string>;
}

/** A token handed to the CLI as it is; it must already allow what the command does. */
export function fixedTokenSource(token: string, origin: string): CasTokenSource {
  return { origin, token: async () => token };
}
