import { abortError, CairnError, Code } from '@cairn/errors';
import type nodeVault from 'node-vault';
import pRetry from 'p-retry';
import { validateSecretRef } from '../secret-ref.js';
import {
  SECRET_STORE_ABORT_WORDING,
  type SecretStore,
  type SecretValue,
  secretAlreadyExists,
} from '../secret-store.js';
import { secretValueFromStored, validateSecretValue } from '../secret-value.js';
import { boundedCall } from './bounded-call.js';
import { type TokenLease, TokenRenewal } from './token-renewal.js';
import { CAS_MISMATCH, type VaultCapability, vaultError } from './vault-error.js';
import {
  type ResolvedVaultOptions,
  resolveVaultOptions,
  type VaultSecretStoreOptions,
} from './vault-options.js';

/**
 * How `rotate` tries again when another rotation won the check-and-set race: 10 tries in all, each after a
 * random pause (10–20 ms, a quarter longer each time) that spreads racing rotations apart.
 */
const ROTATE_RETRIES = { retries: 9, minTimeout: 10, factor: 1.25, randomize: true } as const;

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
  /**
   * node-vault (with axios) is loaded on the first call, not with the package: it adds 4.8 MB to the heap
   * of every process that imports @cairn/secrets, Vault configured or not, and the CAS's full collections
   * (about one per 32 1 MiB uploads at 64 clients) mark all of it each time.
   */
  #client: Promise<nodeVault.client> | undefined;
  readonly #renewal: TokenRenewal;

  constructor(options: VaultSecretStoreOptions) {
    this.#options = resolveVaultOptions(options);
    this.#renewal = new TokenRenewal({
      lookup: () =>
        this.#lease((vault, requestOptions) => vault.tokenLookupSelf({ requestOptions }), 'data', 'ttl'),
      renew: () =>
        this.#lease(
          (vault, requestOptions) => vault.tokenRenewSelf({ requestOptions }),
          'auth',
          'lease_duration',
        ),
    });
  }

  #vault(): Promise<nodeVault.client> {
    this.#client ??= import('node-vault').then(({ default: nodeVault }) => {
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
      const client = nodeVault(clientOptions);
      // node-vault falls back to VAULT_PREFIX / VAULT_NAMESPACE from the environment; the explicit
      // configuration alone decides where secrets go.
      Object.assign(client, { pathPrefix: '', namespace });
      return client;
    });
    return this.#client;
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
      await this.#call('create', ref, path, Object.values(data), signal, (vault, options) =>
        vault.write(path, { data, options: { cas: 0 } }, options),
      );
    } catch (error) {
      if (error instanceof CairnError && error.details.reason === CAS_MISMATCH) {
        throw secretAlreadyExists(ref);
      }
      throw error;
    }
  }

  async get(ref: string, signal: AbortSignal): Promise<SecretValue> {
    validateSecretRef(ref);
    const path = this.#dataPath(ref);
    const body = await this.#call('read', ref, path, [], signal, (vault, options) =>
      vault.read(path, options),
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
    const lostRace = (error: unknown) => error instanceof CairnError && error.details.reason === CAS_MISMATCH;
    const rotateOnce = async () => {
      const current = await this.#call('read', ref, path, [], signal, (vault, options) =>
        vault.read(path, options),
      );
      const version = fieldOf(fieldOf(fieldOf(current, 'data'), 'metadata'), 'version');
      const cas = typeof version === 'number' ? version : 0;
      await this.#call('update', ref, path, Object.values(data), signal, (vault, options) =>
        vault.write(path, { data, options: { cas } }, options),
      );
    };
    try {
      await pRetry(rotateOnce, { ...ROTATE_RETRIES, signal, shouldRetry: ({ error }) => lostRace(error) });
    } catch (error) {
      if (lostRace(error)) {
        throw new CairnError(
          Code.Aborted,
          `the secret ${JSON.stringify(ref)} kept changing while it was being rotated; retry the rotation`,
          { details: { ref } },
        );
      }
      // Anything but a CairnError is the signal's reason, thrown by p-retry when the caller gave up.
      if (!(error instanceof CairnError) && signal.aborted)
        throw abortError(signal, SECRET_STORE_ABORT_WORDING);
      throw error;
    }
  }

  async delete(ref: string, signal: AbortSignal): Promise<void> {
    validateSecretRef(ref);
    const path = this.#path('metadata', ref);
    try {
      await this.#call('delete', ref, path, [], signal, (vault, options) => vault.delete(path, options));
    } catch (error) {
      if (error instanceof CairnError && error.code === Code.NotFound) return;
      throw error;
    }
  }

  /**
   * A token call's lease: `<section>.<ttlField>` seconds and `<section>.renewable` of its answer. Bounded
   * like #call, but with no caller to abort it.
   */
  async #lease(send: VaultSend, section: string, ttlField: string): Promise<TokenLease> {
    const timeout = this.#options.requestTimeoutMs;
    const answer = await boundedCall(
      () => this.#vault().then((vault) => send(vault, { timeout })),
      new AbortController().signal,
      timeout,
    );
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
    send: VaultSend,
  ): Promise<unknown> {
    const { endpoint, mount, token, requestTimeoutMs } = this.#options;
    this.#renewal.start();
    try {
      return await boundedCall(
        () => this.#vault().then((vault) => send(vault, { timeout: requestTimeoutMs })),
        signal,
        requestTimeoutMs,
      );
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

/** One node-vault request, given the client (loaded on first use, inside the call's bound). */
type VaultSend = (vault: nodeVault.client, requestOptions: { timeout: number }) => Promise<unknown>;

export function createVaultSecretStore(options: VaultSecretStoreOptions): VaultSecretStore {
  return new VaultSecretStore(options);
}

function fieldOf(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}
