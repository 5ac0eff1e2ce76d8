import { CairnError, Code } from '@cairn/errors';
import type { SigningKey } from './signing-key.js';

/**
 * The keys of one issuer: the active key signs new tokens; the others still verify, so tokens signed
 * before a rotation stay valid until they expire. A ring never changes; each operation returns a new
 * one, which the owner swaps in (and publishes through `publicJwks`).
 *
 * Rotation without refused tokens: `rotate(next)`, wait at least a token lifetime plus clock skew,
 * then `withoutKey(previous.kid)`.
 */
export class SigningKeyRing {
  readonly active: SigningKey;
  /** Every key of the ring, the active one first, then older ones newest first. */
  readonly keys: readonly SigningKey[];

  constructor(active: SigningKey, others: readonly SigningKey[] = []) {
    this.active = active;
    const byKid = new Map<string, SigningKey>([[active.kid, active]]);
    for (const key of others) if (!byKid.has(key.kid)) byKid.set(key.kid, key);
    this.keys = [...byKid.values()];
  }

  /** The key with this `kid`, if the ring holds it. */
  find(kid: string): SigningKey | undefined {
    return this.keys.find((key) => key.kid === kid);
  }

  /** Makes `next` the signing key; the previous active key keeps verifying. */
  rotate(next: SigningKey): SigningKeyRing {
    return new SigningKeyRing(next, this.keys);
  }

  /**
   * Adds a key that verifies but does not sign yet: publishing it a while before `rotate` lets every
   * verifier's cache learn it ahead of the first token it signs.
   */
  withKey(key: SigningKey): SigningKeyRing {
    return new SigningKeyRing(this.active, [...this.keys.slice(1), key]);
  }

  /** Drops a retired key: tokens it signed stop verifying. FAILED_PRECONDITION for the active key. */
  withoutKey(kid: string): SigningKeyRing {
    if (kid === this.active.kid) {
      throw new CairnError(
        Code.FailedPrecondition,
        `signing key ${kid} is the active key; rotate to another key before removing it`,
      );
    }
    return new SigningKeyRing(
      this.active,
      this.keys.filter((key) => key.kid !== kid),
    );
  }
}
