import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import {
  answerOperational,
  listenHttp,
  type RunningHttpServer,
  type ServingState,
} from '@cairn/service-runtime';
import { BLOB_PATH, type BlobRoutes } from './blob-routes.js';
import type { HttpCalls } from './http-calls.js';
import { sendError } from './http-errors.js';
import type { CasMetrics } from './metrics.js';

/**
 * The CAS's HTTP/1.1 server: blob PUT/GET/HEAD (token required) and the unauthenticated operational
 * endpoints `/healthz` (the process is alive), `/readyz` (it takes work: serving and not draining) and
 * `/metrics` (Prometheus).
 */
export async function startHttpServer(
  options: { readonly host: string; readonly port: number; readonly keepAliveTimeoutMs: number },
  calls: HttpCalls,
  blobs: BlobRoutes,
  state: ServingState,
  metrics: CasMetrics,
  logger: Logger,
): Promise<RunningHttpServer> {
  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const url = requestUrl(request.url);
    if (url === undefined) {
      sendError(
        response,
        new CairnError(
          Code.InvalidArgument,
          'the request target is not a valid URL; ask for /v1/blobs/sha256:{hex}',
          {
            details: { reason: 'bad_request_target' },
          },
        ),
      );
      return;
    }
    const method = request.method ?? 'GET';
    // While draining, a kept-alive connection carries its current request only, so the drain can end.
    if (!state.serving) response.setHeader('connection', 'close');
    if (await answerOperational({ state, metrics }, request, response, url.pathname)) return;
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

  const server: Server = createServer(
    { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: options.keepAliveTimeoutMs },
    handle,
  );
  // Answer `Expect: 100-continue` ourselves: a PUT of a blob that exists or is refused gets its final
  // status without the client sending the body.
  server.on('checkContinue', handle);
  return listenHttp(server, options.host, options.port);
}

/** The request target as a URL, or undefined for an absolute-form target that is no URL (`GET http://[/x`). */
function requestUrl(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://cas.invalid');
  } catch {
    return undefined;
  }
}
