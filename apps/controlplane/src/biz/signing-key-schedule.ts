import {
  exportPrivateJwk,
  generateSigningKey,
  importSigningKey,
  type SigningKey,
  SigningKeyRing,
} from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { SecretStore } from '@cairn/secrets';
import type { DataStore, ScheduledSigningKey } from '../data/index.js';
import type { TokenIssuer } from './token-issuer.js';

export interface SigningKeyScheduleOptions {
  readonly store: DataStore;
  readonly secrets: SecretStore;
  readonly issuer: TokenIssuer;
  /** Keys that only verify, from files (tokens.previousKeyFiles): rotations made before the schedule. */
  readonly verifyOnly?: readonly SigningKey[];
  /** How often every control plane reads the schedule; a rotation's lead must be longer. */
  readonly refreshMs: number;
  readonly logger: Logger;
}

export interface Rotation {
  readonly kid: string;
  /** When the new key starts signing, everywhere. */
  readonly activeFrom: Date;
  /** The keys it replaces, and when they stop verifying. */
  readonly retiring: readonly string[];
  readonly retireAt: Date;
}

/**
 * The keys that sign CAS tokens, rotated while every replica keeps serving. The schedule is in the
 * database and the private keys in the secret store, both shared by every control plane of a deployment;
 * each control plane reads the schedule every `refreshMs` and signs with the key whose time has come.
 *
 * A rotation adds a key that signs only after a lead longer than the refresh, so every control plane
 * publishes it in its JWKS before any of them signs with it (a CAS that meets the new `kid` fetches a JWKS
 * that has it), and keeps the old keys verifying for a token lifetime (plus skew) after the switch. No
 * token is refused and nothing restarts.
 */
export class SigningKeySchedule {
  readonly #options: SigningKeyScheduleOptions;
  /** Private keys by kid: a kid is a key's thumbprint, so what it names never changes. */
  readonly #keys = new Map<string, SigningKey>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(options: SigningKeyScheduleOptions) {
    this.#options = options;
  }

  /** The first start of a deployment: the key of tokens.signingKeyFile signs from now on, if nothing does. */
  async adopt(key: SigningKey, signal: AbortSignal): Promise<void> {
    const { store } = this.#options;
    if ((await store.signingKeys.count()) > 0) return;
    const secretRef = await this.#keep(key, signal);
    await store.signingKeys.insert({ kid: key.kid, secretRef, activeFrom: new Date(0), retireAt: null });
  }

  /** Reads the schedule and gives the issuer the ring it says applies now. */
  refresh(signal: AbortSignal): Promise<void> {
    this.#refreshing ??= this.#refresh(signal).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      this.refresh(AbortSignal.timeout(this.#options.refreshMs * 4)).catch((error: unknown) => {
        this.#options.logger.warn('reading the signing-key schedule failed; signing with the keys known', {
          error: CairnError.from(error).message,
        });
      });
    }, this.#options.refreshMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Schedules a new key: published at once, signing after `leadMs`, while the keys it replaces keep
   * verifying until `overlapMs` after the switch.
   */
  async rotate(options: { leadMs: number; overlapMs: number }, signal: AbortSignal): Promise<Rotation> {
    if (options.leadMs <= this.#options.refreshMs) {
      throw new CairnError(
        Code.InvalidArgument,
        `a rotation's lead (${options.leadMs} ms) must be longer than tokens.keyRefreshMs (${this.#options.refreshMs} ms), so every control plane publishes the key before any signs with it`,
      );
    }
    const { store } = this.#options;
    const key = await generateSigningKey();
    const secretRef = await this.#keep(key, signal);
    const now = await store.signingKeys.now();
    const activeFrom = new Date(now.getTime() + options.leadMs);
    const retireAt = new Date(activeFrom.getTime() + options.overlapMs);
    const retiring = await store.transaction(async (tx) => {
      await tx.signingKeys.insert({ kid: key.kid, secretRef, activeFrom, retireAt: null });
      return tx.signingKeys.retireOthers(key.kid, retireAt);
    });
    await this.refresh(signal);
    return { kid: key.kid, activeFrom, retiring, retireAt };
  }

  async #refresh(signal: AbortSignal): Promise<void> {
    const { store, issuer, logger } = this.#options;
    const now = new Date();
    const live = await store.signingKeys.live(now);
    const signer = live.find((key) => key.activeFrom <= now);
    if (signer === undefined) return; // Nothing scheduled yet: keep the ring the files gave.
    const active = await this.#load(signer, signal);
    const others: SigningKey[] = [];
    for (const scheduled of live) {
      if (scheduled.kid !== signer.kid) others.push(await this.#load(scheduled, signal));
    }
    const ring = new SigningKeyRing(active, [...others, ...(this.#options.verifyOnly ?? [])]);
    const before = issuer.ring;
    const kids = (keys: SigningKeyRing) => keys.keys.map((key) => key.kid).join(',');
    if (before.active.kid === ring.active.kid && kids(before) === kids(ring)) return;
    issuer.replace(ring);
    logger.info('signing keys changed', {
      signing: ring.active.kid,
      published: ring.keys.map((key) => key.kid),
      ...(before.active.kid === ring.active.kid ? {} : { previous: before.active.kid }),
    });
  }

  async #load(scheduled: ScheduledSigningKey, signal: AbortSignal): Promise<SigningKey> {
    const known = this.#keys.get(scheduled.kid);
    if (known !== undefined) return known;
    const secret = await this.#options.secrets.get(scheduled.secretRef, signal);
    let key: SigningKey;
    try {
      key = await importSigningKey(JSON.parse(secret.jwk ?? ''));
    } catch {
      // Neither the JSON nor the key error may travel on: both can quote key material.
      throw new CairnError(
        Code.DataLoss,
        `the secret store's entry for signing key ${scheduled.kid} (${scheduled.secretRef}) is not an ES256 private JWK`,
      );
    }
    if (key.kid !== scheduled.kid) {
      throw new CairnError(
        Code.DataLoss,
        `the secret store's entry ${scheduled.secretRef} holds key ${key.kid}, not ${scheduled.kid}`,
      );
    }
    this.#keys.set(key.kid, key);
    return key;
  }

  async #keep(key: SigningKey, signal: AbortSignal): Promise<string> {
    const secretRef = `signing-keys/${key.kid}`;
    this.#keys.set(key.kid, key);
    try {
      await this.#options.secrets.put(
        secretRef,
        { jwk: JSON.stringify(await exportPrivateJwk(key)) },
        signal,
      );
    } catch (error) {
      // A replica that adopted the same file key wrote the same secret first.
      if (!(error instanceof CairnError && error.code === Code.AlreadyExists)) throw error;
    }
    return secretRef;
  }
}
