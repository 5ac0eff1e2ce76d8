import { awaitUnlessAborted, CairnError, Code } from '@cairn/errors';
import type { CryptoKey } from 'jose';
import type { VerificationKeys } from './verification-keys.js';

export interface RefreshingKeySetOptions {
  /** Loads the current keys; rejects with a CairnError. Its signal aborts at `loadTimeoutMs`. */
  readonly load: (signal: AbortSignal) => Promise<VerificationKeys>;
  /** Least time between two loads started by verifications, in milliseconds. */
  readonly minRefreshIntervalMs: number;
  /** Age after which known keys are reloaded in the background (so removed keys stop verifying). */
  readonly maxAgeMs: number;
  readonly loadTimeoutMs: number;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
}

/**
 * A cache of verification keys that reloads when a token names a `kid` it does not know.
 *
 * - At most one load runs at a time; every caller that needs it waits for that same load.
 * - Loads triggered by tokens start at most once per `minRefreshIntervalMs`, so a flood of tokens with
 *   made-up kids costs the key server one request per interval, not one per token.
 * - Keys older than `maxAgeMs` are reloaded in the background while the cached ones keep serving, so a
 *   slow or failing key server never stalls verification of known keys.
 */
export class RefreshingKeySet {
  readonly #options: RefreshingKeySetOptions;
  #keys: VerificationKeys | undefined;
  #loadedAt = 0;
  #lastAttemptAt: number | undefined;
  #lastFailure: unknown;
  #inFlight: Promise<void> | undefined;

  constructor(options: RefreshingKeySetOptions) {
    this.#options = options;
  }

  /**
   * The key for `kid`, loading or reloading if needed; undefined when the keys in hand do not hold it —
   * because the key server does not publish it, or because it could not be asked (see `lastFailure`). A
   * load that fails is thrown only while no keys were ever loaded: then no token can be judged at all.
   */
  async keyFor(kid: string, signal?: AbortSignal): Promise<CryptoKey | undefined> {
    if (this.#keys === undefined) await this.#loadNeededNow(signal);
    const known = this.#keys?.get(kid);
    if (known !== undefined) {
      if (this.#isStale() && this.#mayStartLoad()) void this.#startLoad();
      return known;
    }
    if (this.#inFlight === undefined && !this.#mayStartLoad()) return undefined;
    try {
      await awaitUnlessAborted(this.#inFlight ?? this.#startLoad(), signal);
    } catch (error) {
      // The key server is away: judge by the keys in hand, as for a reload the rate limit holds back.
      if (signal?.aborted || this.#keys === undefined) throw error;
    }
    return this.#keys?.get(kid);
  }

  /** Why the latest load failed; undefined when it succeeded (or none ran yet). */
  get lastFailure(): unknown {
    return this.#lastFailure;
  }

  /** Reloads now, whatever the rate limit (for an operator or a test); joins a load already running. */
  async refresh(signal?: AbortSignal): Promise<void> {
    await awaitUnlessAborted(this.#inFlight ?? this.#startLoad(), signal);
  }

  async #loadNeededNow(signal?: AbortSignal): Promise<void> {
    if (this.#inFlight === undefined && !this.#mayStartLoad()) {
      throw (
        this.#lastFailure ??
        new CairnError(Code.Unavailable, 'the token signing keys are not loaded yet; retry')
      );
    }
    await awaitUnlessAborted(this.#inFlight ?? this.#startLoad(), signal);
  }

  #mayStartLoad(): boolean {
    const last = this.#lastAttemptAt;
    return last === undefined || this.#options.clock() - last >= this.#options.minRefreshIntervalMs;
  }

  #isStale(): boolean {
    return this.#options.clock() - this.#loadedAt >= this.#options.maxAgeMs;
  }

  #startLoad(): Promise<void> {
    const running = this.#inFlight;
    if (running !== undefined) return running;
    this.#lastAttemptAt = this.#options.clock();
    const load = this.#options
      .load(AbortSignal.timeout(this.#options.loadTimeoutMs))
      .then(
        (keys) => {
          this.#keys = keys;
          this.#loadedAt = this.#options.clock();
          this.#lastFailure = undefined;
        },
        (failure: unknown) => {
          this.#lastFailure = failure;
          throw failure;
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
      });
    // Background loads and loads whose waiters all gave up have no one to report to.
    load.catch(() => undefined);
    this.#inFlight = load;
    return load;
  }
}
