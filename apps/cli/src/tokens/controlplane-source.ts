import type { CASCredentialsServiceGetResponse } from '@cairn/api';
import { type ControlPlaneConnection, openControlPlane } from '../controlplane/controlplane-connection.js';
import type { ControlPlaneSettings } from '../controlplane/controlplane-settings.js';
import type { CasTokenSource, RecordedUpload, TokenBackend, TokenRequest } from './token-source.js';

/** A token this close to its expiry is renewed rather than sent: the CAS checks it when a stream starts. */
const RENEW_BEFORE_MS = 30_000;

/**
 * CAS tokens from the control plane (`CASCredentialsService.Get`): it picks the backend — the default
 * (else the fallback) for uploads, the one the digest was recorded on for downloads — and names the CAS.
 * One token per request is reused until it nears expiry, so an upload and its record name the same token.
 */
export class ControlPlaneTokenSource implements CasTokenSource {
  readonly origin: string;
  readonly advice =
    "the CLI fetched it just now, so check that the CAS trusts the control plane's signing keys (its tokens.jwksUrl) and is the CAS the control plane names (cas.publicGrpcAddress)";
  readonly #connection: ControlPlaneConnection;
  readonly #issued = new Map<string, Promise<CASCredentialsServiceGetResponse>>();
  #lastUploadToken: string | undefined;

  constructor(settings: ControlPlaneSettings) {
    this.#connection = openControlPlane(settings);
    this.origin = `the control plane at ${settings.address}`;
  }

  async token(request: TokenRequest, signal?: AbortSignal): Promise<string> {
    const { token } = await this.credentials(request, signal);
    if (request.role === 'upload') this.#lastUploadToken = token;
    return token;
  }

  async casAddress(request: TokenRequest, signal?: AbortSignal): Promise<string | undefined> {
    const { casGrpcAddress } = await this.credentials(request, signal);
    return casGrpcAddress === '' ? undefined : casGrpcAddress;
  }

  async backend(request: TokenRequest, signal?: AbortSignal): Promise<TokenBackend | undefined> {
    const { backend } = await this.credentials(request, signal);
    if (backend === undefined) return undefined;
    return {
      name: backend.name,
      provider: backend.provider,
      maxBytes: Number(backend.maxBytes),
      isFallback: backend.isFallback,
    };
  }

  /** Asks the control plane to confirm the blob with the CAS and record which backend holds it. */
  async recordUpload(digest: string, signal?: AbortSignal): Promise<RecordedUpload> {
    const token = this.#lastUploadToken ?? (await this.token({ role: 'upload' }, signal));
    const recorded = await this.#connection.run((client) => client.recordUpload(digest, token, signal));
    return { backendName: recorded.backendName };
  }

  /** The token, backend and CAS address for `request`; cached until the token nears its expiry. */
  async credentials(request: TokenRequest, signal?: AbortSignal): Promise<CASCredentialsServiceGetResponse> {
    const key = `${request.role}:${request.digest ?? ''}`;
    const cached = this.#issued.get(key);
    if (cached !== undefined) {
      const issued = await cached.catch(() => undefined);
      if (issued !== undefined && expiresAtMs(issued) - Date.now() > RENEW_BEFORE_MS) return issued;
      if (this.#issued.get(key) === cached) this.#issued.delete(key);
    }
    const fresh = this.#connection.run((client) => client.casToken(request.role, request.digest, signal));
    this.#issued.set(key, fresh);
    fresh.catch(() => {
      if (this.#issued.get(key) === fresh) this.#issued.delete(key);
    });
    return fresh;
  }

  close(): void {
    this.#connection.close();
  }
}

function expiresAtMs(issued: CASCredentialsServiceGetResponse): number {
  const at = issued.expiresAt;
  return at === undefined ? 0 : Number(at.seconds) * 1000 + Math.floor(at.nanos / 1e6);
}
