import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxyOptions {
  /**
   * Drops a connection (both directions) once this many bytes went client → server over it: the first to
   * get there, and no other after it. (A cas-client uploads on a connection of its own, opened after the
   * one its first unary call took, so "the first connection" would miss the upload.)
   */
  readonly cutOnceAfterUpBytes?: number;
  /** Drops the first connection to have carried this many bytes server → client, and no other. */
  readonly cutOnceAfterDownBytes?: number;
  /** Sees every chunk going client → server, e.g. to learn an upload's resource name from its first message. */
  readonly onUp?: (chunk: Buffer) => void;
}

export interface TcpProxy {
  /** `127.0.0.1:port` to dial instead of the target. */
  readonly address: string;
  /** Bytes forwarded client → server over all connections (HTTP/2 framing included). */
  readonly bytesUp: () => number;
  readonly bytesDown: () => number;
  readonly connections: () => number;
  /** Whether a connection was cut. */
  readonly cut: () => boolean;
  /**
   * Keeps what clients send from the server (every connection, new ones too) until the returned function
   * is called, so a test can act between a client's calls; the server's answers still flow.
   */
  hold(): () => void;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of a server that can drop one connection mid-transfer, as a flaky
 * network or a restarting load balancer would. Tests use it to break streams for real.
 */
export async function startTcpProxy(target: string, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = ''] = splitHostPort(target);
  let up = 0;
  let down = 0;
  let connections = 0;
  let cut = false;
  /** While set, client → server bytes wait for it. */
  let held: Promise<void> | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    connections++;
    const upstream = createConnection({ host, port: Number(port) });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    let upHere = 0;
    let downHere = 0;
    const dropBoth = () => {
      cut = true;
      client.destroy();
      upstream.destroy();
    };
    const forwardUp = (chunk: Buffer) => {
      up += chunk.length;
      upHere += chunk.length;
      options.onUp?.(chunk);
      upstream.write(chunk);
      const limit = options.cutOnceAfterUpBytes;
      if (!cut && limit !== undefined && upHere >= limit) dropBoth();
    };
    // In order: once one chunk waits for a hold, the ones after it queue behind it.
    let queue = Promise.resolve();
    let queued = 0;
    client.on('data', (chunk: Buffer) => {
      if (held === undefined && queued === 0) return forwardUp(chunk);
      const wait = held;
      queued++;
      queue = queue
        .then(() => wait)
        .then(() => {
          queued--;
          forwardUp(chunk);
        });
    });
    upstream.on('data', (chunk: Buffer) => {
      down += chunk.length;
      downHere += chunk.length;
      client.write(chunk);
      const limit = options.cutOnceAfterDownBytes;
      if (!cut && limit !== undefined && downHere >= limit) dropBoth();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  return {
    address: `127.0.0.1:${address.port}`,
    bytesUp: () => up,
    bytesDown: () => down,
    connections: () => connections,
    cut: () => cut,
    hold: () => {
      let release!: () => void;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        held = undefined;
        release();
      };
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function splitHostPort(address: string): [string, string] {
  const index = address.lastIndexOf(':');
  return [address.slice(0, index), address.slice(index + 1)];
}
