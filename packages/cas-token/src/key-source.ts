import { readFile } from 'node:fs/promises';
import { CairnError, Code } from '@cairn/errors';
import { fetchJwksDocument } from './jwks-fetch.js';
import { RefreshingKeySet } from './refreshing-key-set.js';
import type { RefusalReason } from './refusal.js';
import { importVerificationKeys, type VerificationKeys } from './verification-keys.js';

/** Tuning shared by the key sources that reload. */
export interface KeyRefreshOptions {
  /** Least time between reloads triggered by unknown kids; default 5000 ms. */
  readonly minRefreshIntervalMs?: number;
  /** Known keys are reloaded in the background after this long; default 300000 ms (5 minutes). */
  readonly maxAgeMs?: number;
}

/** Where a CAS token verifier gets the public keys it trusts. */
export type CasKeySource =
  /** The control plane's JWKS (`/.well-known/jwks.json`), cached and reloaded on an unknown `kid`. */
  | ({
      readonly kind: 'jwks-url';
      readonly url: string | URL;
      /** Time limit of one fetch; default 5000 ms. */
      readonly fetchTimeoutMs?: number;
    } & KeyRefreshOptions)
  /** A file holding a JWKS, a public JWK or the private key file itself; re-read on an unknown `kid`. */
  | ({ readonly kind: 'key-file'; readonly path: string } & KeyRefreshOptions)
  /** A fixed JWKS, e.g. `publicJwks(ring)` in the same process. */
  | { readonly kind: 'jwks'; readonly jwks: unknown };

export const KEY_SOURCE_DEFAULTS = {
  minRefreshIntervalMs: 5_000,
  maxAgeMs: 300_000,
  fetchTimeoutMs: 5_000,
} as const;

/**
 * Builds the key cache for a source. A malformed JWKS URL is INVALID_ARGUMENT at once; an unreadable
 * key file or unusable JWKS surfaces (FAILED_PRECONDITION) at the first verification.
 */
export function createKeySet(source: CasKeySource, clock: () => number): RefreshingKeySet {
  switch (source.kind) {
    case 'jwks-url': {
      const url = jwksUrl(source.url);
      const timeout = source.fetchTimeoutMs ?? KEY_SOURCE_DEFAULTS.fetchTimeoutMs;
      return reloading(source, clock, timeout, async (signal) =>
        keysOrThrow(
          await fetchJwksDocument(url, signal),
          Code.Unavailable,
          `the key set at ${url.host}${url.pathname}`,
        ),
      );
    }
    case 'key-file':
      return reloading(source, clock, KEY_SOURCE_DEFAULTS.fetchTimeoutMs, async (signal) =>
        keysOrThrow(
          await readKeyDocument(source.path, signal),
          Code.FailedPrecondition,
          `key file ${source.path}`,
        ),
      );
    case 'jwks':
      return new RefreshingKeySet({
        load: () => keysOrThrow(source.jwks, Code.FailedPrecondition, 'the configured JWKS'),
        // A fixed set never changes: one load, never again.
        minRefreshIntervalMs: Number.POSITIVE_INFINITY,
        maxAgeMs: Number.POSITIVE_INFINITY,
        loadTimeoutMs: KEY_SOURCE_DEFAULTS.fetchTimeoutMs,
        clock,
      });
  }
}

function reloading(
  options: KeyRefreshOptions,
  clock: () => number,
  loadTimeoutMs: number,
  load: (signal: AbortSignal) => Promise<VerificationKeys>,
): RefreshingKeySet {
  return new RefreshingKeySet({
    load,
    minRefreshIntervalMs: options.minRefreshIntervalMs ?? KEY_SOURCE_DEFAULTS.minRefreshIntervalMs,
    maxAgeMs: options.maxAgeMs ?? KEY_SOURCE_DEFAULTS.maxAgeMs,
    loadTimeoutMs,
    clock,
  });
}

async function keysOrThrow(document: unknown, code: Code, what: string): Promise<VerificationKeys> {
  const imported = await importVerificationKeys(document);
  if ('problem' in imported) {
    const reason: RefusalReason = code === Code.Unavailable ? 'keys_unavailable' : 'keys_misconfigured';
    throw new CairnError(
      code,
      `${what} cannot verify CAS tokens: ${imported.problem}; check the configuration`,
      {
        details: { reason },
      },
    );
  }
  return imported.keys;
}

async function readKeyDocument(path: string, signal: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', signal });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CairnError(
      Code.FailedPrecondition,
      `could not read key file ${path}${code ? ` (${code})` : ''}; check the CAS key configuration`,
      { cause: error, details: { reason: 'keys_misconfigured' } },
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    // The parse error may quote the file, which can be a private key.
    throw new CairnError(
      Code.FailedPrecondition,
      `key file ${path} is not JSON; check the CAS key configuration`,
      {
        details: { reason: 'keys_misconfigured' },
      },
    );
  }
}

function jwksUrl(url: string | URL): URL {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed;
  } catch {
    // Reported below with the same message as a wrong scheme.
  }
  throw new CairnError(Code.InvalidArgument, 'the JWKS URL must be an absolute http(s) URL');
}
