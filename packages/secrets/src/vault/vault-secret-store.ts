import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, Code } from '@cairn/errors';
import nodeVault from 'node-vault';
import { abortedError } from '../abort.js';
import { validateSecretRef } from '../secret-ref.js';
import type { SecretStore, SecretValue } from '../secret-store.js';
import { secretValueFromStored, validateSecretValue } from '../secret-value.js';
import { boundedCall } from './bounded-call.js';
import { type TokenLease, TokenRenewal } from './token-renewal.js';
import { CAS_MISMATCH, type VaultCapability, vaultError } from './vault-error.js';
import {
  type ResolvedVaultOptions,
  resolveVaultOptions,
  type VaultSecretStoreOptions,
} from './vault-options.js';

/** How often `rotate` tries before giving up when other rotations keep winning the check-and-set race. */
const MAX_ROTATE_ATTEMPTS = 10;
/** Upper bound of the random pause between attempts, which spreads racing rotations apart. */
const ROTATE_JITTER_MS = 20;

/**
 * Secrets in a HashiCorp Vault KV version 2 engine, at `<mount>/data/<prefix>/<ref>`, through node-vault.
 * `put` writes with check-and-set 0 so Vault itself refuses an existing secret; `rotate` writes a new
 * version with check-and-set on the version it just read (retrying if another rotation slipped in, so the
 * last writer wins and a secret deleted meanwhile is not re-created); `delete` removes the metadata and
 * with it every version. Every call is bounded by `requestTimeoutMs` and gives up at once on abort.
 * From its first call on, the store keeps a renewable token alive (see TokenRenewal); `close` stops that.
 */
export class VaultSecretStore implements SecretStore {
  readonly #options: ResolvedVaultOptions;
  readonly #client: nodeVault.client;
  readonly #renewal: TokenRenewal;

  constructor(options: VaultSecretStoreOptions) {
    this.#options = resolveVaultOptions(options);
    const { endpoint, token, namespace, caCertificate } = this.#options;
    // rpDefaults is read by node-vault but missing from its type definitions.
    const clientOptions: nodeVault.VaultOptions & { rpDefaults: { strictSSL: boolean } } = {
      apiVersion: 'v1',
      endpoint,
      token,
      // node-vault's debug output would print the values being written.
      debug: () => undefined,
      // TLS verification stays on whatever VAULT_SKIP_VERIFY says; a private CA goes in caCertificate.
      rpDefaults: { strictSSL: true },
      requestOptions: caCertificate === undefined ? {} : { ca: caCertificate },
    };
    this.#client = nodeVault(clientOptions);
    // node-vault falls back to VAULT_PREFIX / VAULT_NAMESPACE from the environment; the explicit
    // configuration alone decides where secrets go.
    Object.assign(this.#client, { pathPrefix: '', namespace });
    this.#renewal = new TokenRenewal({
      lookup: () =>
        this.#lease((requestOptions) => this.#client.tokenLookupSelf({ requestOptions }), 'data', 'ttl'),
      renew: () =>
        this.#lease(
          (requestOptions) => this.#client.tokenRenewSelf({ requestOptions }),
          'auth',
          'lease_duration',
        ),
    });
  }

  /** Stops renewing the token; the store still answers calls. */
  close(): void {
    this.#renewal.stop();
  }

  async put(ref: string, value: SecretValue, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    const data = validateSecretValue(value);
    const path = this.#dataPath(ref);
    try {
      await this.#call('create', ref, path, Object.values(data), signal, (options) =>
        this.#client.write(path, { data, options: { cas: 0 } }, options),
      );
    } catch (error) {
      if (error instanceof CairnError && error.details.reason === CAS_MISMATCH) {
        throw new CairnError(
          Code.AlreadyExists,
          `a secret named ${JSON.stringify(ref)} already exists; rotate it instead`,
          {
            details: { ref },
          },
        );
      }
      throw error;
    }
  }

  async get(ref: string, signal: AbortSignal): Promise<SecretValue> {
    validateSecretRef(ref);
    const path = this.#dataPath(ref);
    const body = await this.#call('read', ref, path, [], signal, (options) =>
      this.#client.read(path, options),
    );
    const value = secretValueFromStored(fieldOf(fieldOf(body, 'data'), 'data'));
    if (value === undefined) {
      throw new CairnError(
        Code.FailedPrecondition,
        `the Vault secret at ${path} is not a flat object of string fields; rewrite it with rotate`,
        { details: { reason: 'vault_secret_malformed', ref } },
      );
    }
    return value;
  }

  async rotate(ref: string, value: SecretValue, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    const data = validateSecretValue(value);
    const path = this.#dataPath(ref);
    for (let attempt = 1; ; attempt++) {
      const current = await this.#call('read', ref, path, [], signal, (options) =>
        this.#client.read(path, options),
      );
      const version = fieldOf(fieldOf(fieldOf(current, 'data'), 'metadata'), 'version');
      const cas = typeof version === 'number' ? version : 0;
      try {
        await this.#call('update', ref, path, Object.values(data), signal, (options) =>
          this.#client.write(path, { data, options: { cas } }, options),
        );
        return;
      } catch (error) {
        const lostRace = error instanceof CairnError && error.details.reason === CAS_MISMATCH;
        if (!lostRace) throw error;
        if (attempt >= MAX_ROTATE_ATTEMPTS) {
          throw new CairnError(
            Code.Aborted,
            `the secret ${JSON.stringify(ref)} kept changing while it was being rotated; retry the rotation`,
            { details: { ref } },
          );
        }
        await pause(Math.random() * ROTATE_JITTER_MS * attempt, signal);
      }
    }
  }

  async delete(ref: string, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    const path = this.#path('metadata', ref);
    try {
      await this.#call('delete', ref, path, [], signal, (options) => this.#client.delete(path, options));
    } catch (error) {
      if (error instanceof CairnError && error.code === Code.NotFound) return;
      throw error;
    }
  }

  /**
   * A token call's lease: `<section>.<ttlField>` seconds and `<section>.renewable` of its answer. Bounded
   * like #call, but with no caller to abort it.
   */
  async #lease(
    send: (requestOptions: { timeout: number }) => Promise<unknown>,
    section: string,
    ttlField: string,
  ): Promise<TokenLease> {
    const timeout = this.#options.requestTimeoutMs;
    const answer = await boundedCall(() => send({ timeout }), new AbortController().signal, timeout);
    const body = fieldOf(answer, section);
    const ttl = fieldOf(body, ttlField);
    return { ttlSeconds: typeof ttl === 'number' ? ttl : 0, renewable: fieldOf(body, 'renewable') === true };
  }

  #dataPath(ref: string): string {
    return this.#path('data', ref);
  }

  #path(kind: 'data' | 'metadata', ref: string): string {
    const { mount, prefix } = this.#options;
    return prefix === '' ? `${mount}/${kind}/${ref}` : `${mount}/${kind}/${prefix}/${ref}`;
  }

  /** One bounded node-vault call with every failure mapped to a CairnError free of secrets. */
  async #call(
    capability: VaultCapability,
    ref: string,
    path: string,
    values: readonly string[],
    signal: AbortSignal,
    send: (requestOptions: { timeout: number }) => Promise<unknown>,
  ): Promise<unknown> {
    const { endpoint, mount, token, requestTimeoutMs } = this.#options;
    this.#renewal.start();
    try {
      return await boundedCall(() => send({ timeout: requestTimeoutMs }), signal, requestTimeoutMs);
    } catch (error) {
      throw vaultError(error, {
        endpoint,
        mount,
        capability,
        path,
        ref,
        timeoutMs: requestTimeoutMs,
        secrets: [token, ...values],
      });
    }
  }
}

export function createVaultSecretStore(options: VaultSecretStoreOptions): VaultSecretStore {
  return new VaultSecretStore(options);
}

async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw abortedError(signal);
  }
}

function fieldOf(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
