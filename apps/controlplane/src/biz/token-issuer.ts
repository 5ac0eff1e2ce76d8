import type { JsonWebKeySet } from '@cairn/cas-token';
import {
  type CasClaims,
  type CasGrant,
  type CasRole,
  type CasTokenVerifier,
  createCasTokenVerifier,
  mintCasToken,
  publicJwks,
  type SigningKey,
  SigningKeyRing,
} from '@cairn/cas-token';

export interface TokenIssuerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;
  /**
   * How long after expiry the control plane still accepts its own upload token as proof of which backend
   * an upload went to (CASMappingService.Record): a long upload may outlive its token, and the CAS's
   * Describe is the real check.
   */
  readonly recordGraceSeconds: number;
}

/**
 * Mints CAS tokens with the active key of a ring and publishes every key that still verifies. Rotation
 * swaps the ring: tokens signed by the previous key keep verifying until that key is retired.
 */
export class TokenIssuer {
  #ring: SigningKeyRing;
  #ownVerifier: CasTokenVerifier;

  constructor(
    ring: SigningKeyRing,
    readonly options: TokenIssuerOptions,
  ) {
    this.#ring = ring;
    this.#ownVerifier = this.#verifierFor(ring);
  }

  get ring(): SigningKeyRing {
    return this.#ring;
  }

  jwks(): JsonWebKeySet {
    return publicJwks(this.#ring);
  }

  async mint(grant: CasGrant): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Date.now();
    const token = await mintCasToken(this.#ring, grant, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      lifetimeSeconds: this.options.lifetimeSeconds,
      clock: () => issuedAt,
    });
    return {
      token,
      expiresAt: new Date((Math.floor(issuedAt / 1000) + this.options.lifetimeSeconds) * 1000),
    };
  }

  /** The claims of a token this control plane minted for `role`; UNAUTHENTICATED if it did not. */
  verifyOwn(token: string, role: CasRole, signal: AbortSignal): Promise<CasClaims> {
    return this.#ownVerifier.verify(token, { role }, signal);
  }

  /**
   * Publishes a key that verifies but does not sign yet; publishing it a cache lifetime before `rotate`
   * lets every CAS learn it ahead of the first token it signs.
   */
  publish(next: SigningKey): void {
    this.#swap(this.#ring.withKey(next));
  }

  /** Makes `next` the signing key; the previous keys keep verifying (and stay published). */
  rotate(next: SigningKey): void {
    this.#swap(this.#ring.rotate(next));
  }

  /** Stops publishing (and trusting) a retired key. */
  retire(kid: string): void {
    this.#swap(this.#ring.withoutKey(kid));
  }

  /** Signs and publishes with `ring` from now on (the signing-key schedule's decision). */
  replace(ring: SigningKeyRing): void {
    this.#swap(ring);
  }

  #swap(ring: SigningKeyRing): void {
    this.#ring = ring;
    this.#ownVerifier = this.#verifierFor(ring);
  }

  #verifierFor(ring: SigningKeyRing): CasTokenVerifier {
    return createCasTokenVerifier({
      issuer: this.options.issuer,
      audience: this.options.audience,
      keys: { kind: 'jwks', jwks: publicJwks(ring) },
      clockToleranceSeconds: this.options.recordGraceSeconds,
    });
  }
}

export { SigningKeyRing };
