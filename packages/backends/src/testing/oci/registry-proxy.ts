import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One answer of the registry on its way back to the client, to the request `method` `url` (path and
 * query); `status` and `headers` may be changed in place (the body passes unchanged).
 */
export interface ProxiedAnswer {
  readonly method: string;
  readonly url: string;
  status: number;
  readonly headers: IncomingHttpHeaders;
}

export interface RegistryProxy {
  /** `127.0.0.1:<port>` to give a client in place of the registry's own host. */
  readonly host: string;
  close(): Promise<void>;
}

/**
 * A plain HTTP proxy on 127.0.0.1 in front of a real registry. Every answer passes through `onAnswer`
 * before the client sees any of it, so a test can count requests, change a header, or change the
 * registry's storage between one answer and the client's next request.
 */
export async function startRegistryProxy(
  registryHost: string,
  onAnswer: (answer: ProxiedAnswer) => void | Promise<void>,
): Promise<RegistryProxy> {
  const port = Number(registryHost.split(':')[1]);
  const server = createServer((incoming, outgoing) => {
    const forward = httpRequest(
      { host: '127.0.0.1', port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        const proxied: ProxiedAnswer = {
          method: incoming.method ?? '',
          url: incoming.url ?? '',
          status: answer.statusCode ?? 502,
          headers: { ...answer.headers },
        };
        void Promise.resolve(onAnswer(proxied)).then(
          () => {
            outgoing.writeHead(proxied.status, proxied.headers);
            answer.pipe(outgoing);
          },
          (error: unknown) => outgoing.destroy(error instanceof Error ? error : new Error(String(error))),
        );
      },
    );
    forward.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
