import type { BlobStore, Provider, ProviderKind } from '@cairn/backends';
import { createBlobStore } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { SecretStore } from '@cairn/secrets';
import { withCallDeadline } from './backend-deadline.js';
import { withBackendErrors } from './backend-errors.js';
import { type Lease, LeasedCache } from './leased-cache.js';

export interface BackendResolverOptions {
  /** Absent: only backends whose tokens name no secret can be served. */
  readonly secretStore: SecretStore | undefined;
  readonly providerFor: (kind: ProviderKind) => Provider<unknown>;
  /** How long resolved credentials and the driver built from them are reused. */
  readonly ttlMs: number;
  /** Limit of one secret-store read plus driver construction. */
  readonly resolveTimeoutMs?: number;
  /** Longest one step of a transfer waits for the storage server (see withCallDeadline). */
  readonly callTimeoutMs: number;
  readonly onCloseError?: (error: unknown) => void;
  /** Where drivers note open uploads their server cannot list (OCI sessions), for the leftover sweep. */
  readonly journalDir?: string;
}

/** Turns the backend a token names into a verifying BlobStore (see DESIGN.md, "CAS tokens"). */
export interface BackendResolver {
  /** A lease on the backend's store; release it when the call (or the upload session) ends. */
  open(claims: CasClaims, signal: AbortSignal): Promise<Lease<BlobStore>>;
  /**
   * A store of the backend's own, built now from credentials read now (never from the cache `open` uses:
   * they may just have been replaced), bounded by `signal`; the caller closes it.
   */
  openFresh(claims: CasClaims, signal: AbortSignal): Promise<BlobStore>;
  /** Closes every driver nobody uses; the rest close when released. */
  close(): Promise<void>;
}

export function createBackendResolver(options: BackendResolverOptions): BackendResolver {
  const cache = new LeasedCache<BlobStore>({
    ttlMs: options.ttlMs,
    close: (store) => store.close(),
    ...(options.onCloseError ? { onCloseError: options.onCloseError } : {}),
  });
  const timeoutMs = options.resolveTimeoutMs ?? 10_000;

  const build = async (claims: CasClaims, signal: AbortSignal): Promise<BlobStore> => {
    const { backend, secret } = claims;
    const provider = providerOf(options.providerFor, backend.provider, backend.id);
    const location = provider.parseLocation(backend.location);
    const raw =
      secret === '' ? undefined : await readCredentials(options.secretStore, secret, backend.id, signal);
    let credentials: unknown;
    try {
      credentials = provider.parseCredentials(raw);
    } catch (error) {
      const reason = error instanceof CairnError ? `: ${error.message}` : '';
      throw new CairnError(
        Code.FailedPrecondition,
        `the stored credentials of backend ${backend.id} do not fit a ${backend.provider} backend${reason}; replace them with \`cairn cas-backend update NAME\``,
        { details: { reason: 'credentials_invalid', backend_id: backend.id } },
      );
    }
    const journal = options.journalDir === undefined ? {} : { journalDir: options.journalDir };
    const driver = await provider.createDriver({ location, credentials, ...journal });
    const bounded = withCallDeadline(withBackendErrors(driver, backend.id), {
      timeoutMs: options.callTimeoutMs,
      backendId: backend.id,
      provider: backend.provider,
    });
    return createBlobStore(bounded);
  };

  return {
    async open(claims, signal) {
      signal.throwIfAborted();
      const { backend, secret } = claims;
      const key = JSON.stringify([backend.provider, backend.id, backend.location, secret]);
      // Shared by every caller waiting on this key, so it runs on its own clock rather than one caller's.
      return cache.acquire(key, () => build(claims, AbortSignal.timeout(timeoutMs)));
    },
    async openFresh(claims, signal) {
      signal.throwIfAborted();
      return build(claims, signal);
    },
    close: () => cache.dispose(),
  };
}

function providerOf(
  providerFor: (kind: ProviderKind) => Provider<unknown>,
  kind: ProviderKind,
  backendId: string,
): Provider<unknown> {
  try {
    return providerFor(kind);
  } catch (error) {
    throw CairnError.from(
      error,
      Code.FailedPrecondition,
      `backend ${backendId} uses provider "${kind}", which this CAS does not serve; upgrade the CAS`,
    );
  }
}

async function readCredentials(
  store: SecretStore | undefined,
  ref: string,
  backendId: string,
  signal: AbortSignal,
): Promise<unknown> {
  if (!store) {
    throw new CairnError(
      Code.FailedPrecondition,
      `backend ${backendId} keeps its credentials in a secret store, but this CAS has none configured; set "secrets" in the CAS config`,
      { details: { reason: 'secret_store_missing' } },
    );
  }
  try {
    return await store.get(ref, signal);
  } catch (error) {
    const code = error instanceof CairnError ? error.code : Code.Unavailable;
    if (code === Code.NotFound) {
      throw new CairnError(
        Code.FailedPrecondition,
        `the credentials this CAS token names for backend ${backendId} are not in the secret store (they may just have been replaced); rerun the \`cairn\` command for a fresh token, and if that fails too, store them again with \`cairn cas-backend update NAME\``,
        { details: { reason: 'credentials_missing', backend_id: backendId } },
      );
    }
    throw new CairnError(
      Code.Unavailable,
      `the secret store holding the credentials of backend ${backendId} is unavailable; retry in a moment, and if it persists check the CAS's secret store (config "secrets")`,
      { details: { reason: 'secret_store_unavailable' }, cause: error },
    );
  }
}
