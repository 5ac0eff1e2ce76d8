import { CairnError, Code } from '@cairn/errors';

export interface VaultSecretStoreOptions {
  /** Vault's base URL, e.g. `https://vault.internal:8200` (no credentials, query or fragment). */
  endpoint: string;
  /** A Vault token whose policy grants create/read/update on `<mount>/data/<prefix>/*` and delete on `<mount>/metadata/<prefix>/*`. */
  token: string;
  /** Path of the KV version 2 secrets engine; default `secret`. */
  mount?: string | undefined;
  /** Path under the mount that holds Cairn's secrets; default `cairn`, `''` for none. */
  prefix?: string | undefined;
  /** Vault Enterprise namespace, sent as `X-Vault-Namespace`. */
  namespace?: string | undefined;
  /** Upper bound of one HTTP call to Vault; default 10 000 ms. */
  requestTimeoutMs?: number | undefined;
  /** PEM of the CA that signed Vault's TLS certificate, when it is not a publicly trusted one. */
  caCertificate?: string | undefined;
}

export interface ResolvedVaultOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly mount: string;
  readonly prefix: string;
  readonly namespace: string | undefined;
  readonly requestTimeoutMs: number;
  readonly caCertificate: string | undefined;
}

export const DEFAULT_VAULT_REQUEST_TIMEOUT_MS = 10_000;
const VAULT_PATH = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const TOKEN = /^[\x21-\x7e]+$/;

/** Checks and completes the options; INVALID_ARGUMENT on anything unusable. Never echoes the token. */
export function resolveVaultOptions(options: VaultSecretStoreOptions): ResolvedVaultOptions {
  const token = typeof options.token === 'string' ? options.token.trim() : '';
  if (token === '') throw invalid('the Vault secret store needs a token');
  if (!TOKEN.test(token)) throw invalid('the Vault token contains whitespace or control characters');
  const timeout = options.requestTimeoutMs ?? DEFAULT_VAULT_REQUEST_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600_000) {
    throw invalid('requestTimeoutMs of the Vault secret store must be an integer from 1 to 600000');
  }
  return {
    endpoint: resolveEndpoint(options.endpoint),
    token,
    mount: resolvePath('mount', options.mount ?? 'secret', false),
    prefix: resolvePath('prefix', options.prefix ?? 'cairn', true),
    namespace:
      options.namespace === undefined ? undefined : resolvePath('namespace', options.namespace, false),
    requestTimeoutMs: timeout,
    caCertificate: options.caCertificate,
  };
}

function resolveEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalid('the Vault endpoint must be an http(s) URL such as https://vault.internal:8200');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('the Vault endpoint must be an http(s) URL such as https://vault.internal:8200');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw invalid(
      'the Vault endpoint must not carry credentials, a query or a fragment; pass the token separately',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function resolvePath(name: string, value: string, emptyAllowed: boolean): string {
  const trimmed = value.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' && emptyAllowed) return '';
  const segments = trimmed.split('/');
  if (!VAULT_PATH.test(trimmed) || segments.includes('.') || segments.includes('..')) {
    throw invalid(
      `the Vault ${name} ${JSON.stringify(value)} must be segments of letters, digits, '.', '_' or '-' joined by '/'`,
    );
  }
  return trimmed;
}

function invalid(message: string): CairnError {
  return new CairnError(Code.InvalidArgument, message, { details: { reason: 'invalid_vault_options' } });
}
