import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type JsonWebKeySet, JWKS_MEDIA_TYPE } from '@cairn/cas-token';
import { CairnError } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import {
  answerOperational,
  type CallMetrics,
  listenHttp,
  type RunningHttpServer,
  type ServingState,
} from '@cairn/service-runtime';

export interface HttpServerDeps {
  readonly jwks: () => JsonWebKeySet;
  readonly state: ServingState;
  /** Resolves when the database answers; rejects otherwise. */
  readonly databaseReady: () => Promise<void>;
  readonly metrics: CallMetrics;
  readonly logger: Logger;
}

/** GET /.well-known/jwks.json (the keys that sign CAS tokens), /healthz, /readyz and /metrics; nothing else. */
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
  return listenHttp(server, host, port);
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  deps: HttpServerDeps,
): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const endpoints = {
    state: deps.state,
    metrics: deps.metrics,
    dependencies: () =>
      deps.databaseReady().then(
        () => undefined,
        () => 'database unreachable',
      ),
  };
  if (await answerOperational(endpoints, request, response, path)) return;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, 'text/plain', 'method not allowed\n');
    return;
  }
  if (path === '/.well-known/jwks.json') {
    response.setHeader('cache-control', 'public, max-age=60');
    send(response, 200, JWKS_MEDIA_TYPE, JSON.stringify(deps.jwks()));
    return;
  }
  send(response, 404, 'text/plain', 'not found\n');
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
