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

/** One place CAS tokens can come from; the CLI uses the first one that is configured. */
export interface CasTokenSource {
  /** Named in error messages so the user knows which token was refused, e.g. `--cas-token`. */
  readonly origin: string;
  /** What to do when the CAS refuses a token from here. */
  readonly advice: string;
  token(request: TokenRequest, signal?: AbortSignal): Promise<string>;
  /** The CAS this source's tokens are meant for, when the source knows it (the control plane says). */
  casAddress?(request: TokenRequest, signal?: AbortSignal): Promise<string | undefined>;
  /** Maps a blob just uploaded with this source's token to its backend (the control plane's digest map). */
  recordUpload?(digest: string, signal?: AbortSignal): Promise<RecordedUpload>;
  close?(): void;
}

export const LOCAL_ADVICE =
  'give a valid one with --cas-token or CAIRN_CAS_TOKEN, or mint one with `cairn dev token`';

/** A token handed to the CLI as it is; it must already allow what the command does. */
export function fixedTokenSource(token: string, origin: string): CasTokenSource {
  return { origin, advice: LOCAL_ADVICE, token: async () => token };
}
