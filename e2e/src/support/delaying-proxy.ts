import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

export interface DelayingProxy {
  /** `127.0.0.1:port` to dial instead of the target. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * A TCP relay that passes what the client sends at once but holds what the server sends for `delayMs`
 * (in order) before passing it on. When the server side closes, whatever it still holds is dropped and the
 * client's connection closed: an answer the server wrote in its last `delayMs` never arrives, as when the
 * server dies after committing and before its answer got out.
 */
export async function startDelayingProxy(target: string, delayMs: number): Promise<DelayingProxy> {
  const [host = '127.0.0.1', port = '0'] = target.split(':');
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host, port: Number(port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    const timers = new Set<NodeJS.Timeout>();
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        client.write(chunk);
      }, delayMs);
      timers.add(timer);
    });
    upstream.on('close', () => {
      for (const timer of timers) clearTimeout(timer);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    address: `127.0.0.1:${address.port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
