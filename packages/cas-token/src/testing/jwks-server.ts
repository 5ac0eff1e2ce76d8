import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP server on 127.0.0.1 that serves a JWKS the test can swap, counting requests. */
export interface JwksTestServer {
  readonly url: string;
  /** Requests answered or held so far. */
  readonly requestCount: number;
  /** What later requests get. */
  serve(document: unknown): void;
  /** Answer later requests with this status and no key set. */
  fail(status: number): void;
  /** Holds later responses until the returned function is called; resolves `arrived` on the first. */
  hold(): { readonly arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function startJwksServer(initial: unknown): Promise<JwksTestServer> {
  let document = initial;
  let status = 200;
  let requestCount = 0;
  let gate: Promise<void> | undefined;
  let onArrival: (() => void) | undefined;
  const server = createServer((request, response) => {
    requestCount += 1;
    onArrival?.();
    const answer = () => {
      if (status !== 200) {
        response.writeHead(status).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(document));
    };
    if (gate === undefined) answer();
    else void gate.then(answer);
    request.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requestCount() {
      return requestCount;
    },
    serve(next) {
      document = next;
      status = 200;
    },
    fail(next) {
      status = next;
    },
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      const arrived = new Promise<void>((resolve) => {
        onArrival = () => {
          onArrival = undefined;
          resolve();
        };
      });
      return { arrived, release: () => release() };
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
