import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { failure, type Kv2Answer, Kv2Engine } from './kv2-engine.js';

export interface VaultKv2DoubleOptions {
  /** Tokens allowed everything; default one random token (see `token`). */
  tokens?: readonly string[];
  /** Tokens allowed only to read, so writes and deletes get 403 as with a too narrow policy. */
  readOnlyTokens?: readonly string[];
  /** Paths of KV version 2 mounts; default `['secret']`. */
  mounts?: readonly string[];
  /** Refuse writes without `options.cas`, like a mount configured with `cas_required=true`. */
  casRequired?: boolean;
  /** Serve HTTPS with this key and certificate (PEM), as a Vault behind a private CA does. */
  tls?: { readonly key: string; readonly cert: string };
  /**
   * Seconds each token lives from the start and from each renew-self; after that it gets 403 like any
   * invalid token. Default 0: tokens never expire, as a root token.
   */
  tokenTtlSeconds?: number;
  /** Seconds after the start beyond which no renewal extends a token; default: no limit. */
  tokenMaxTtlSeconds?: number;
  /** Whether renew-self extends a token; default true. */
  tokensRenewable?: boolean;
}

/** One call the double received (never its token or body). */
export interface VaultKv2Request {
  readonly method: string;
  /** The path after `/v1/`, e.g. `secret/data/cairn/x`. */
  readonly path: string;
  readonly namespace: string | undefined;
}

/**
 * A stand-in for HashiCorp Vault, which cannot be installed here: a node:http server on 127.0.0.1 that
 * speaks the documented HTTP API of the KV version 2 engine (`/v1/<mount>/data/<path>` read, write with
 * check-and-set and versions, soft delete; `/v1/<mount>/metadata/<path>` read and delete), checks
 * `X-Vault-Token` (403 `permission denied` otherwise), keeps each `X-Vault-Namespace` apart, answers
 * errors as `{"errors":[...]}` and a sealed Vault with 503. Tokens may have a TTL, which
 * `auth/token/lookup-self` reports and `auth/token/renew-self` extends up to a maximum TTL. It is a test
 * double, not Vault: no policies beyond full/read-only tokens, no secret leases, no persistence.
 */
export interface VaultKv2Double {
  /** `http://127.0.0.1:<port>`, or `https://` with `tls` */
  readonly endpoint: string;
  /** The first full-access token. */
  readonly token: string;
  readonly requests: readonly VaultKv2Request[];
  /** The current version under `path` (relative to the mount), undefined if there is no secret. */
  currentVersion(path: string, where?: { mount?: string; namespace?: string }): number | undefined;
  /** While sealed, every call gets 503 `Vault is sealed`. */
  setSealed(sealed: boolean): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startVaultKv2Double(options: VaultKv2DoubleOptions = {}): Promise<VaultKv2Double> {
  const fullTokens = new Set(options.tokens ?? [`hvs.${randomBytes(18).toString('base64url')}`]);
  const readOnlyTokens = new Set(options.readOnlyTokens ?? []);
  const mounts = options.mounts ?? ['secret'];
  const engines = new Map<string, Kv2Engine>();
  const requests: VaultKv2Request[] = [];
  let sealed = false;
  const ttlMs = (options.tokenTtlSeconds ?? 0) * 1000;
  const renewable = options.tokensRenewable ?? true;
  const startedAt = Date.now();
  const maxExpiresAt =
    options.tokenMaxTtlSeconds === undefined
      ? Number.POSITIVE_INFINITY
      : startedAt + options.tokenMaxTtlSeconds * 1000;
  /** When each token expires; absent when tokens never do. */
  const expiries = new Map<string, number>();
  if (ttlMs > 0) {
    for (const token of [...fullTokens, ...readOnlyTokens])
      expiries.set(token, Math.min(startedAt + ttlMs, maxExpiresAt));
  }
  const secondsLeft = (token: string): number => {
    const expiresAt = expiries.get(token);
    return expiresAt === undefined ? 0 : Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
  };
  const tokenRoute = (method: string, path: string, token: string) => {
    if (path === 'auth/token/lookup-self' && method === 'GET') {
      const expiresAt = expiries.get(token);
      return {
        status: 200,
        body: {
          data: {
            ttl: secondsLeft(token),
            renewable: expiresAt !== undefined && renewable,
            expire_time: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
            policies: ['default'],
          },
        },
      };
    }
    if (path === 'auth/token/renew-self' && (method === 'POST' || method === 'PUT')) {
      if (!expiries.has(token) || !renewable) return failure(400, 'lease is not renewable');
      expiries.set(token, Math.min(Date.now() + ttlMs, maxExpiresAt));
      return {
        status: 200,
        body: {
          auth: {
            client_token: token,
            policies: ['default'],
            lease_duration: secondsLeft(token),
            renewable: true,
          },
        },
      };
    }
    return undefined;
  };

  const engineOf = (namespace: string | undefined, mount: string): Kv2Engine => {
    const key = `${namespace ?? ''}\u0000${mount}`;
    let engine = engines.get(key);
    if (engine === undefined) {
      engine = new Kv2Engine(options.casRequired ?? false);
      engines.set(key, engine);
    }
    return engine;
  };

  const route = (
    method: string,
    url: URL,
    token: string | undefined,
    namespace: string | undefined,
    body: unknown,
  ) => {
    if (!url.pathname.startsWith('/v1/')) return failure(404);
    const path = url.pathname.slice('/v1/'.length);
    requests.push({ method, path, namespace });
    if (path === 'sys/health') {
      return {
        status: sealed ? 503 : 200,
        body: { initialized: true, sealed, standby: false, version: 'double' },
      };
    }
    if (sealed) return failure(503, 'Vault is sealed');
    const expired = token !== undefined && (expiries.get(token) ?? Number.POSITIVE_INFINITY) <= Date.now();
    if (expired) return failure(403, 'permission denied');
    if (token !== undefined && (fullTokens.has(token) || readOnlyTokens.has(token))) {
      const answer = tokenRoute(method, path, token);
      if (answer) return answer;
    }
    const mayWrite = token !== undefined && fullTokens.has(token);
    if (!mayWrite && !(token !== undefined && readOnlyTokens.has(token) && method === 'GET')) {
      return failure(403, 'permission denied');
    }
    const mount = mounts.find((candidate) => path.startsWith(`${candidate}/`));
    if (mount === undefined) return failure(404, `no handler for route "${path}". route entry not found.`);
    const [kind, ...rest] = path.slice(mount.length + 1).split('/');
    const secretPath = rest.join('/');
    if (secretPath === '' || (kind !== 'data' && kind !== 'metadata')) {
      return failure(404, `no handler for route "${path}". route entry not found.`);
    }
    const engine = engineOf(namespace, mount);
    if (kind === 'data') {
      if (method === 'GET') return engine.read(secretPath, versionParameter(url));
      if (method === 'POST' || method === 'PUT') return engine.write(secretPath, body);
      if (method === 'DELETE') return engine.deleteLatest(secretPath);
    } else {
      if (method === 'GET') return engine.readMetadata(secretPath);
      if (method === 'DELETE') return engine.deleteMetadata(secretPath);
    }
    return failure(405, 'unsupported operation');
  };

  const listener: RequestListener = (request, response) => {
    readJson(request).then(
      (body) => {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const token = headerOf(request, 'x-vault-token');
        const namespace = headerOf(request, 'x-vault-namespace');
        send(
          response,
          body === invalidJson
            ? failure(400, 'error parsing JSON')
            : route(request.method ?? 'GET', url, token, namespace, body),
        );
      },
      () => send(response, failure(413, 'request body too large')),
    );
  };
  const server = options.tls ? createTlsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const [token] = fullTokens;

  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    token: token ?? '',
    requests,
    currentVersion: (path, where = {}) =>
      engineOf(where.namespace, where.mount ?? 'secret').currentVersion(path),
    setSealed: (value) => {
      sealed = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

const invalidJson = Symbol('invalid JSON');

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return invalidJson;
  }
}

function send(response: ServerResponse, { status, body }: Kv2Answer): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function versionParameter(url: URL): number | undefined {
  const value = url.searchParams.get('version');
  return value === null ? undefined : Number.parseInt(value, 10);
}
