import { execFile } from 'node:child_process';
import { createPrivateKey, type KeyObject, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TokenRealmOptions {
  readonly username: string;
  readonly password: string;
  readonly service: string;
  readonly issuer: string;
  /** Lifetime of issued tokens in seconds. */
  readonly expiresIn?: number;
}

/** One request the realm answered, as tests inspect it. */
export interface TokenRequest {
  readonly scopes: string[];
  readonly authenticated: boolean;
}

/**
 * A minimal token service (the "realm" of the registry token-auth flow) for a real distribution registry
 * configured with `auth.token`. It checks HTTP basic credentials and issues ES256 JWTs granting every
 * action asked for, signed by a key whose self-signed certificate (made with openssl at start) travels
 * in the `x5c` header; the registry trusts that certificate through its `rootcertbundle`.
 */
export class TokenRealm {
  readonly requests: TokenRequest[] = [];
  /** Actions the next tokens grant at most (e.g. ['pull'] to issue under-scoped tokens); all when unset. */
  grantOnly: string[] | undefined;

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    private readonly key: KeyObject,
    readonly certificatePem: string,
    private readonly options: TokenRealmOptions,
  ) {}

  static async start(options: TokenRealmOptions): Promise<TokenRealm> {
    const dir = await mkdtemp(join(tmpdir(), 'cairn-token-realm-'));
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-subj',
      '/CN=cairn-test-token-realm',
      '-days',
      '1',
    ]);
    const key = createPrivateKey(await readFile(keyPath));
    const certificatePem = await readFile(certPath, 'utf8');
    const server = createServer();
    const realm = new TokenRealm(server, dir, key, certificatePem, options);
    server.on('request', (request, response) => realm.#handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return realm;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://realm');
    const expected = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    const authenticated = request.headers.authorization === expected;
    const scopes = url.searchParams.getAll('scope');
    this.requests.push({ scopes, authenticated });
    if (
      url.pathname !== '/token' ||
      url.searchParams.get('service') !== this.options.service ||
      !authenticated
    ) {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"unauthorized"}');
      return;
    }
    const expiresIn = this.options.expiresIn ?? 300;
    const body = {
      token: this.#token(scopes, expiresIn),
      expires_in: expiresIn,
      issued_at: new Date().toISOString(),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  #token(scopes: string[], expiresIn: number): string {
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (!type || !name || actions === undefined) return [];
      const requested = actions.split(',');
      const granted = this.grantOnly
        ? requested.filter((action) => this.grantOnly?.includes(action))
        : requested;
      return [{ type, name, actions: granted }];
    });
    const header = {
      alg: 'ES256',
      typ: 'JWT',
      x5c: [new X509Certificate(this.certificatePem).raw.toString('base64')],
    };
    const claims = {
      iss: this.options.issuer,
      sub: this.options.username,
      aud: this.options.service,
      iat: now,
      nbf: now - 5,
      exp: now + expiresIn,
      jti: randomUUID(),
      access,
    };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}
