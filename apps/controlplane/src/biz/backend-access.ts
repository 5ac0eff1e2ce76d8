import { createBlobStore, type ProviderKind, providerFor } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { SecretValue } from '@cairn/secrets';

/**
 * How the control plane talks to storage providers: it only parses what users send and proves write
 * access; it never stores blobs itself.
 */
export interface BackendAccess {
  /** Normalised location; INVALID_ARGUMENT if malformed. */
  parseLocation(provider: ProviderKind, location: string): string;
  /** INVALID_ARGUMENT naming the bad field (never echoing a value). */
  parseCredentials(provider: ProviderKind, credentials: SecretValue): void;
  /** Writes, reads back and removes a probe; throws a CairnError saying what failed. */
  checkWriteAccess(
    provider: ProviderKind,
    location: string,
    credentials: SecretValue,
    signal: AbortSignal,
  ): Promise<void>;
}

/** The real providers of @cairn/backends. */
export const providerBackendAccess: BackendAccess = {
  parseLocation: (provider, location) => providerFor(provider).parseLocation(location),

  parseCredentials(provider, credentials) {
    providerFor(provider).parseCredentials(credentialsFor(credentials));
  },

  async checkWriteAccess(provider, location, credentials, signal) {
    const implementation = providerFor(provider);
    const driver = await implementation.createDriver({
      location: implementation.parseLocation(location),
      credentials: implementation.parseCredentials(credentialsFor(credentials)),
    });
    const store = createBlobStore(driver);
    try {
      await store.checkWriteAccess(signal);
    } finally {
      await store.close().catch(() => undefined);
    }
  },
};

// Providers without credentials (filesystem) take none at all rather than an empty object.
function credentialsFor(credentials: SecretValue): SecretValue | undefined {
  return Object.keys(credentials).length === 0 ? undefined : credentials;
}

/**
 * Runs a write check bounded by `timeoutMs`, turning every failure into a CairnError whose message says
 * what to fix (provider errors already do; anything else becomes a generic UNAVAILABLE).
 */
export async function boundedWriteCheck(
  access: BackendAccess,
  target: { provider: ProviderKind; location: string; credentials: SecretValue },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    await access.checkWriteAccess(
      target.provider,
      target.location,
      target.credentials,
      AbortSignal.any([signal, timeout]),
    );
  } catch (error) {
    if (timeout.aborted && !signal.aborted) {
      throw new CairnError(
        Code.DeadlineExceeded,
        `the write check did not finish within ${Math.round(timeoutMs / 1000)} s; check that the backend is reachable`,
        { cause: error },
      );
    }
    throw CairnError.from(
      error,
      Code.Unavailable,
      'the write check failed for an unexpected reason; see the server log',
    );
  }
}
