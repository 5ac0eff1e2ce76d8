import type { BlobStore, Driver, Provider, ProviderKind } from '@cairn/backends';
import { createBlobStore, DEFAULT_STAGING_MAX_AGE_MS, FilesystemDriver } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { SecretStore } from '@cairn/secrets';
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
  readonly onCloseError?: (error: unknown) => void;
  /** Told what the once-per-directory sweep of abandoned filesystem uploads removed, or why it failed. */
  readonly onStagingSwept?: (location: string, outcome: { removed: number } | { error: unknown }) => void;
}

/** Turns the backend a token names into a verifying BlobStore (see DESIGN.md, "CAS tokens"). */
export interface BackendResolver {
  /** A lease on the backend's store; release it when the call (or the upload session) ends. */
  open(claims: CasClaims, signal: AbortSignal): Promise<Lease<BlobStore>>;
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
  const swept = new Set<string>();

  /**
   * Staging files of uploads a crashed process left behind are removed once per directory and process,
   * in the background. A day idle is far past any resume window, so another replica's live upload is safe.
   */
  const sweepOnce = (driver: Driver, location: string) => {
    if (!(driver instanceof FilesystemDriver) || swept.has(location)) return;
    swept.add(location);
    driver.sweepStaging(DEFAULT_STAGING_MAX_AGE_MS, AbortSignal.timeout(60_000)).then(
      (removed) => options.onStagingSwept?.(location, { removed }),
      (error: unknown) => options.onStagingSwept?.(location, { error }),
    );
  };

  const build = async (claims: CasClaims): Promise<BlobStore> => {
    // Shared by every caller waiting on this key, so it runs on its own clock rather than one caller's.
    const signal = AbortSignal.timeout(timeoutMs);
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
        `the stored credentials of backend ${backend.id} do not fit a ${backend.provider} backend${reason}; save them again in the control plane`,
        { details: { reason: 'credentials_invalid' } },
      );
    }
    const driver = await provider.createDriver({ location, credentials });
    sweepOnce(driver, location);
    return createBlobStore(withBackendErrors(driver, backend.id));
  };

  return {
    async open(claims, signal) {
      signal.throwIfAborted();
      const { backend, secret } = claims;
      const key = JSON.stringify([backend.provider, backend.id, backend.location, secret]);
      return cache.acquire(key, () => build(claims));
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
        `the credentials of backend ${backendId} are missing from the secret store; save them again in the control plane`,
        { details: { reason: 'credentials_missing' } },
      );
    }
    throw new CairnError(
      Code.Unavailable,
      `the secret store holding the credentials of backend ${backendId} is unavailable; retry in a moment, and if it persists check the CAS's secret store (config "secrets")`,
      { details: { reason: 'secret_store_unavailable' }, cause: error },
    );
  }
}
