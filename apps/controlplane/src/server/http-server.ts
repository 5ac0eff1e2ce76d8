import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JsonWebKeySet, JWKS_MEDIA_TYPE } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { ServingState } from './health.js';
import type { ControlPlaneMetrics } from './metrics.js';

export interface HttpServerDeps {
  readonly jwks: () => JsonWebKeySet;
  readonly state: ServingState;
  /** Resolves when the database answers; rejects otherwise. */
  readonly databaseReady: () => Promise<void>;
  readonly metrics: ControlPlaneMetrics;
  readonly logger: Logger;
}

export interface RunningHttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** GET /.well-known/jwks.json, /healthz, /readyz and /metrics; nothing else. */
export async function startHttpServer(
  host: string,
  port: number,
  deps: HttpServerDeps,
): Promise<RunningHttpServer> {
  const server = createServer((request, response) => {
    route(request, response, deps).catch((error: unknown) => {
      deps.logger.error('http request failed', {
        path: request.url?.split('?')[0],
        error: CairnError.from(error).message,
      });
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new CairnError(
          Code.Unavailable,
          `cannot listen for HTTP on ${host}:${port} (${error.message}); choose another http.port`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  deps: HttpServerDeps,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/.well-known/jwks.json':
      response.setHeader('cache-control', 'public, max-age=60');
      send(response, 200, JWKS_MEDIA_TYPE, JSON.stringify(deps.jwks()));
      return;
    case '/healthz':
      send(response, 200, 'text/plain', 'ok\n');
      return;
    case '/readyz': {
      if (!deps.state.serving) {
        send(response, 503, 'text/plain', 'shutting down\n');
        return;
      }
      const ready = await deps.databaseReady().then(
        () => true,
        () => false,
      );
      send(response, ready ? 200 : 503, 'text/plain', ready ? 'ready\n' : 'database unreachable\n');
      return;
    }
    case '/metrics':
      send(response, 200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics());
      return;
    default:
      send(response, 404, 'text/plain', 'not found\n');
  }
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
