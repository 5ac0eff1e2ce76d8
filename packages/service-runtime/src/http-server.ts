import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CairnError, Code } from '@cairn/errors';
import type { CallMetrics } from './metrics.js';
import type { ServingState } from './serving-state.js';

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

/** Binds `server`; a port taken or an address unavailable is UNAVAILABLE saying which setting to change. */
export async function listenHttp(server: Server, host: string, port: number): Promise<RunningHttpServer> {
  server.listen(port, host);
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
      `cannot listen for HTTP on ${host}:${port} (${(error as Error).message}); choose another http.port`,
    );
  }
  const { address, port: bound } = server.address() as AddressInfo;
  const shown = address.includes(':') ? `[${address}]` : address;
  const closed = once(server, 'close').then(() => undefined);
  return {
    url: `http://${shown}:${bound}`,
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

export interface OperationalEndpoints {
  readonly state: ServingState;
  readonly metrics: CallMetrics;
  /** A check of what the service needs besides itself (its database); undefined when ready, else why not. */
  readonly dependencies?: () => Promise<string | undefined>;
}

/**
 * `/healthz` (the process is alive), `/readyz` (it takes work: serving, not draining, and its
 * dependencies answer) and `/metrics` (Prometheus), unauthenticated, answered the same way by every
 * service. Resolves true when it answered the request.
 */
export async function answerOperational(
  endpoints: OperationalEndpoints,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<boolean> {
  if (path !== '/healthz' && path !== '/readyz' && path !== '/metrics') return false;
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    sendStatus(response, 405, { status: 'method not allowed: probes answer GET and HEAD' });
    return true;
  }
  if (path === '/healthz') {
    sendStatus(response, 200, { status: 'alive' });
  } else if (path === '/readyz') {
    const { state } = endpoints;
    const missing = state.serving ? await endpoints.dependencies?.() : undefined;
    sendStatus(response, state.serving && missing === undefined ? 200 : 503, {
      status: missing ?? state.phase,
    });
  } else {
    const { contentType, body } = await endpoints.metrics.render();
    response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(method === 'HEAD' ? undefined : body);
  }
  return true;
}

function sendStatus(response: ServerResponse, status: number, body: { status: string }): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}
