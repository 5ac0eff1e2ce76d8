import { CairnError, Code } from '@cairn/errors';
import { hasCredentials, type OciCredentials } from './credentials.js';
import { transportError } from './errors.js';
import { isLoopback } from './location.js';

export type RegistryAction = 'pull' | 'push' | 'delete';

type Scheme =
  | { readonly kind: 'basic' }
  | { readonly kind: 'bearer'; readonly realm: string; readonly service: string };

interface CachedToken {
  readonly token: string;
  readonly validUntil: number;
}

/** Seconds a token lives when the token server does not say (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Answers a registry's authentication challenges: HTTP basic, or the bearer-token flow in which the
 * client fetches a token from the challenge's realm with its credentials (or anonymously). It learns
 * the scheme from the first 401 and sends it up front afterwards; tokens are cached per action until
 * shortly before they expire. Credentials go only to the registry's own origin and to a token realm
 * reached over https (or on loopback, or when the location itself chose plain http).
 */
export class RegistryAuthenticator {
  #scheme: Scheme | undefined;
  readonly #tokens = new Map<RegistryAction, CachedToken>();

  constructor(
    private readonly origin: string,
    private readonly repository: string,
    private readonly credentials: OciCredentials,
    private readonly now: () => number = Date.now,
  ) {}

  get anonymous(): boolean {
    return !hasCredentials(this.credentials);
  }

  /** The Authorization header for a request to `url` needing `action`, when one is known. */
  authorization(url: URL, action: RegistryAction): string | undefined {
    if (url.origin !== this.origin) return undefined;
    if (this.#scheme?.kind === 'basic') return this.#basic();
    const cached = this.#tokens.get(action);
    if (cached && cached.validUntil > this.now()) return `Bearer ${cached.token}`;
    return undefined;
  }

  /**
   * Learns from a 401's `WWW-Authenticate` challenge. Resolves true when a retry with fresh
   * authorization may succeed, false when there is nothing new to try.
   */
  async answer(
    challengeHeader: string | null,
    sent: string | undefined,
    action: RegistryAction,
    signal: AbortSignal,
  ): Promise<boolean> {
    const challenge = parseChallenge(challengeHeader ?? '');
    if (challenge?.scheme === 'basic') {
      if (!hasCredentials(this.credentials) || sent?.startsWith('Basic ')) return false;
      this.#scheme = { kind: 'basic' };
      return true;
    }
    if (challenge?.scheme === 'bearer') {
      const realm = challenge.params.get('realm');
      if (!realm) return false;
      const service = challenge.params.get('service') ?? '';
      this.#scheme = { kind: 'bearer', realm, service };
      const scopes = (challenge.params.get('scope') ?? defaultScope(this.repository, action)).split(' ');
      this.#tokens.set(action, await this.#fetchToken(realm, service, scopes, signal));
      return true;
    }
    return false;
  }

  #basic(): string | undefined {
    if (!hasCredentials(this.credentials)) return undefined;
    const { username, password } = this.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  async #fetchToken(
    realm: string,
    service: string,
    scopes: string[],
    signal: AbortSignal,
  ): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new CairnError(Code.Unavailable, `registry ${hostOf(this.origin)} names an invalid token realm`);
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const basic = this.#basic();
    if (basic) {
      if (!this.#mayReceiveCredentials(url)) {
        throw new CairnError(
          Code.FailedPrecondition,
          `registry ${hostOf(this.origin)} sends clients to the plain-http token realm ${url.host}; Cairn sends credentials there only if the location starts with http://`,
        );
      }
      headers.authorization = basic;
    }
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) if (scope) url.searchParams.append('scope', scope);

    let response: Response;
    try {
      response = await fetch(url, { headers, signal });
    } catch (error) {
      throw transportError(error, url.host);
    }
    if (!response.ok) {
      await response.body?.cancel();
      if ((response.status === 401 || response.status === 403) && !basic) {
        throw new CairnError(
          Code.Unauthenticated,
          `registry ${hostOf(this.origin)} requires credentials for ${this.repository}; configure a username and password for this backend`,
          { details: { reason: 'token_refused', status: String(response.status) } },
        );
      }
      if (response.status === 401 || response.status === 403) {
        throw new CairnError(
          Code.Unauthenticated,
          `the token service of registry ${hostOf(this.origin)} refused the credentials for ${this.repository}; check the backend's username and password`,
          { details: { reason: 'token_refused', status: String(response.status) } },
        );
      }
      throw new CairnError(
        Code.Unavailable,
        `the token service ${url.host} of registry ${hostOf(this.origin)} answered HTTP ${response.status}; retry later`,
      );
    }
    const receivedAt = this.now();
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new CairnError(Code.Unavailable, `the token service ${url.host} answered without a token`);
    }
    const seconds =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renew a little early so a token does not expire between check and use.
    const lifetime = seconds * 1000;
    return { token, validUntil: receivedAt + lifetime - Math.min(30_000, lifetime / 5) };
  }

  #mayReceiveCredentials(realm: URL): boolean {
    return realm.protocol === 'https:' || isLoopback(realm.hostname) || this.origin.startsWith('http:');
  }
}

function defaultScope(repository: string, action: RegistryAction): string {
  const actions = action === 'pull' ? 'pull' : action === 'push' ? 'pull,push' : 'delete';
  return `repository:${repository}:${actions}`;
}

/** Parses the first challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenge(
  header: string,
): { scheme: 'basic' | 'bearer' | string; params: Map<string, string> } | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match?.[1]) return undefined;
  const params = new Map<string, string>();
  const pattern = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))/g;
  for (const param of (match[2] ?? '').matchAll(pattern)) {
    const name = param[1]?.toLowerCase();
    if (!name || params.has(name)) continue;
    params.set(name, param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? ''));
  }
  return { scheme: match[1].toLowerCase(), params };
}

function hostOf(origin: string): string {
  return new URL(origin).host;
}
