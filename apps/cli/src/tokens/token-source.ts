import type { CasRole } from '@cairn/cas-token';

/** What a CAS call needs a token for: uploads need `upload`; a download may be bound to its digest. */
export interface TokenRequest {
  readonly role: CasRole;
  readonly digest?: string;
}

/** Where the control plane recorded an uploaded blob. */
export interface RecordedUpload {
  readonly backendName: string;
}

/** The backend a token is for, as the control plane names it. */
export interface TokenBackend {
  readonly name: string;
  readonly provider: string;
  /** The largest blob it accepts; 0 when unknown. */
  readonly maxBytes: number;
  readonly isFallback: boolean;
}

/** One place CAS tokens can come from; the CLI uses the first one that is configured. */
export interface CasTokenSource {
  /** Named in error messages so the user knows which token was refused, e.g. `--cas-token`. */
  readonly origin: string;
  /** What to do when the CAS refuses a token from here. */
  readonly advice: string;
  token(request: TokenRequest, signal?: AbortSignal): Promise<string>;
  /** The CAS this source's tokens are meant for, when the source knows it (the control plane says). */
  casAddress?(request: TokenRequest, signal?: AbortSignal): Promise<string | undefined>;
  /** The backend this source's tokens for `request` go to, when the source knows it (the control plane says). */
  backend?(request: TokenRequest, signal?: AbortSignal): Promise<TokenBackend | undefined>;
  /** Maps a blob just uploaded with this source's token to its backend (the control plane's digest map). */
  recordUpload?(digest: string, signal?: AbortSignal): Promise<RecordedUpload>;
  close?(): void;
}

export const LOCAL_ADVICE =
  'give a valid one with --cas-token or CAIRN_CAS_TOKEN: `cairn cas-token create` fetches one from the control plane, `cairn dev token` mints one beside `npm start`';

/** A token handed to the CLI as it is; it must already allow what the command does. */
export function fixedTokenSource(token: string, origin: string): CasTokenSource {
  return { origin, advice: LOCAL_ADVICE, token: async () => token };
}
