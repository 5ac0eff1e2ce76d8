import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { CasMetrics } from '../metrics.js';
import type { ServingState } from '../serving-state.js';
import { BLOB_PATH, type BlobRoutes } from './blob-routes.js';
import type { HttpCalls } from './http-call.js';
import { sendError, sendJson } from './http-errors.js';

export interface RunningHttpServer {
  /** `http://host:port` */
  readonly url: string;
  /** Stops accepting connections and closes idle ones; running requests go on. */
  stopAccepting(): void;
  /** Closes connections that carry no request now (after the last running one ended). */
  closeIdle(): void;
  /** Resolves once every connection closed. */
  closed(): Promise<void>;
  /** Ends every connection now. */
  forceStop(): void;
}

/**
 * The CAS's HTTP/1.1 server: blob PUT/GET/HEAD (token required) and the unauthenticated operational
 * endpoints `/healthz` (the process is alive), `/readyz` (it takes work: serving and not draining) and
 * `/metrics` (Prometheus).
 */
export async function startHttpServer(
  options: { readonly host: string; readonly port: number },
  calls: HttpCalls,
  blobs: BlobRoutes,
  state: ServingState,
  metrics: CasMetrics,
  logger: Logger,
): Promise<RunningHttpServer> {
  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://cas.invalid');
    const method = request.method ?? 'GET';
    // While draining, a kept-alive connection carries its current request only, so the drain can end.
    if (!state.serving) response.setHeader('connection', 'close');
    if (url.pathname === '/healthz') return probe(response, method, true, 'alive');
    if (url.pathname === '/readyz') return probe(response, method, state.serving, state.phase);
    if (url.pathname === '/metrics' && (method === 'GET' || method === 'HEAD')) {
      const { contentType, body } = await metrics.render();
      response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      response.end(method === 'HEAD' ? undefined : body);
      return;
    }
    const blob = BLOB_PATH.exec(url.pathname);
    if (!blob) {
      sendError(
        response,
        new CairnError(
          Code.NotFound,
          `no such endpoint ${url.pathname}; blobs live under /v1/blobs/sha256:{hex}`,
        ),
      );
      return;
    }
    const digest = blob[1] ?? '';
    if (method === 'PUT') {
      await calls.run('PUT /v1/blobs', request, response, url, (ctx) =>
        blobs.put(ctx, request, response, digest, url),
      );
    } else if (method === 'GET' || method === 'HEAD') {
      await calls.run(`${method} /v1/blobs`, request, response, url, (ctx) =>
        blobs.get(ctx, request, response, digest),
      );
    } else {
      response.setHeader('allow', 'GET, HEAD, PUT');
      sendError(
        response,
        new CairnError(Code.Unimplemented, `${method} is not supported on blobs; use GET, HEAD or PUT`),
      );
    }
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    route(request, response).catch((error: unknown) => {
      logger.error('http request failed outside a call', { error });
      sendError(response, error);
    });
  };

  const server: Server = createServer({ requestTimeout: 0, headersTimeout: 60_000 }, handle);
  // Answer `Expect: 100-continue` ourselves: a PUT of a blob that exists or is refused gets its final
  // status without the client sending the body.
  server.on('checkContinue', handle);
  server.listen(options.port, options.host);
  try {
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    throw new CairnError(
      Code.Unavailable,
      `cannot listen for HTTP on ${options.host}:${options.port} (${(error as Error).message}); choose another http.port`,
    );
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const closed = once(server, 'close').then(() => undefined);

  return {
    url: `http://${host}:${port}`,
    stopAccepting: () => {
      server.close();
      server.closeIdleConnections();
    },
    closeIdle: () => server.closeIdleConnections(),
    closed: () => closed,
    forceStop: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

function probe(response: ServerResponse, method: string, ok: boolean, status: string): void {
  if (method !== 'GET' && method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    sendError(response, new CairnError(Code.Unimplemented, 'probes answer GET and HEAD only'));
    return;
  }
  sendJson(response, ok ? 200 : 503, { status });
}
