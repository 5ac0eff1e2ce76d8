import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  type BackendClaim,
  type CasRole,
  loadOrCreateSigningKey,
  mintCasToken,
  type SigningKey,
} from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { DevConfig, LoadedCliConfig } from '../cli-config.js';
import { type CasTokenSource, LOCAL_ADVICE, type TokenRequest } from './token-source.js';

export interface DevMintRequest extends TokenRequest {
  /** Seconds the token lives; the token library's default (5 minutes) when absent. */
  readonly lifetimeSeconds?: number;
}

/**
 * Mints tokens with the development signing key that `npm start` keeps under `.cairn/`, for the
 * embedded default's organisation and backend. Only for local use: anyone holding that key file can
 * mint tokens the local CAS accepts.
 */
export class DevKeyTokenSource implements CasTokenSource {
  readonly origin: string;
  readonly advice = LOCAL_ADVICE;
  readonly #dev: DevConfig;
  readonly #keyFile: string;
  #key: Promise<SigningKey> | undefined;

  constructor(loaded: LoadedCliConfig & { config: { dev: DevConfig } }) {
    this.#dev = loaded.config.dev;
    // Relative paths are read from the folder that holds .cairn, where `npm start` ran.
    this.#keyFile = resolve(dirname(loaded.home), this.#dev.signingKeyFile);
    this.origin = `the development key named in ${loaded.home}/cli.json`;
  }

  token(request: TokenRequest, signal?: AbortSignal): Promise<string> {
    return this.mint(request, signal);
  }

  async mint(request: DevMintRequest, signal?: AbortSignal): Promise<string> {
    const key = await this.#signingKey(signal);
    const dev = this.#dev;
    return mintCasToken(
      key,
      {
        sub: `dev:${userName()}`,
        org: dev.org,
        role: request.role satisfies CasRole,
        backend: { ...dev.backend, provider: dev.backend.provider as BackendClaim['provider'] },
        secret: dev.secret,
        max_bytes: dev.maxBytes,
        ...(request.digest === undefined ? {} : { digest: request.digest }),
      },
      {
        issuer: dev.issuer,
        audience: dev.audience,
        ...(request.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: request.lifetimeSeconds }),
      },
    );
  }

  #signingKey(signal?: AbortSignal): Promise<SigningKey> {
    this.#key ??= this.#loadKey(signal);
    return this.#key;
  }

  async #loadKey(signal?: AbortSignal): Promise<SigningKey> {
    // A key made up here would sign tokens the CAS does not trust, so a missing file is an error, not a fresh key.
    try {
      await stat(this.#keyFile);
    } catch {
      throw new CairnError(
        Code.FailedPrecondition,
        `the development signing key ${this.#keyFile} does not exist; run \`npm start\` once to create it`,
      );
    }
    return loadOrCreateSigningKey(this.#keyFile, signal);
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
