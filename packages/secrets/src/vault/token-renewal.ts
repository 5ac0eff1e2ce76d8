/** What Vault says of a token: seconds left and whether renew-self may extend them (0 = never expires). */
export interface TokenLease {
  readonly ttlSeconds: number;
  readonly renewable: boolean;
}

export interface TokenRenewalOptions {
  /** Asks Vault for the token's lease (`auth/token/lookup-self`). */
  readonly lookup: () => Promise<TokenLease>;
  /** Extends the token's lease (`auth/token/renew-self`) and returns the new one. */
  readonly renew: () => Promise<TokenLease>;
}

/** Never renew more often than this, even when a token nears its maximum TTL and its leases shrink. */
const MIN_INTERVAL_MS = 1_000;
/** Retry a failed lookup or renewal at most this far apart while the token still has time left. */
const MAX_RETRY_MS = 60_000;

/**
 * Keeps a renewable Vault token alive while the process runs, so a store configured with a periodic or
 * TTL-bound token does not lose Vault the day the token's TTL runs out. It learns the lease once, then renews
 * when half of it has passed; a failed attempt is tried again after a quarter of the time left (1–60 s),
 * or a minute later once none is left.
 * A token that never expires (ttl 0, e.g. a root token) or is not renewable is left alone. Timers are
 * unref'd, so renewal never holds the process open.
 *
 * Written by hand rather than with p-retry (which the store uses for its rotations): this is a schedule
 * that runs for the life of the process, each wait taken from the lease Vault last reported (half of it,
 * or a quarter of the time left after a failure), with no caller, no attempt budget and no final error;
 * a retry helper repeats one call a bounded number of times with delays of its own.
 */
export class TokenRenewal {
  readonly #lookup: () => Promise<TokenLease>;
  readonly #renew: () => Promise<TokenLease>;
  #started = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** When the token's current lease ends, once known. */
  #expiresAt: number | undefined;

  constructor(options: TokenRenewalOptions) {
    this.#lookup = options.lookup;
    this.#renew = options.renew;
  }

  /** Starts on first use; later calls do nothing. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    void this.#attempt(this.#lookup);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #attempt(ask: () => Promise<TokenLease>): Promise<void> {
    let lease: TokenLease;
    try {
      lease = await ask();
    } catch {
      // The next call to Vault reports the failure that matters (an expired token is PERMISSION_DENIED).
      // Unknown or past expiry: Vault may be down, or the token gone; ask again once a minute.
      const left = this.#expiresAt === undefined ? 0 : this.#expiresAt - Date.now();
      this.#schedule(ask, left > 0 ? clamp(left / 4, MIN_INTERVAL_MS, MAX_RETRY_MS) : MAX_RETRY_MS);
      return;
    }
    if (!lease.renewable || !(lease.ttlSeconds > 0)) {
      this.#expiresAt = undefined;
      return;
    }
    const ttlMs = lease.ttlSeconds * 1_000;
    this.#expiresAt = Date.now() + ttlMs;
    this.#schedule(this.#renew, Math.max(ttlMs / 2, MIN_INTERVAL_MS));
  }

  #schedule(ask: () => Promise<TokenLease>, delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#attempt(ask), delayMs);
    this.#timer.unref();
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}
