import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * How the proxied server fails:
 * - `down`: the server is stopped: open connections are reset and new ones refused (the port is closed);
 * - `stalled`: the server hangs: connections stay open and new ones are accepted, but no byte moves.
 */
export type Fault = 'down' | 'stalled';

export interface FaultProxy {
  /** `127.0.0.1:port`, the same across faults, to give the service under test instead of the server's. */
  readonly address: string;
  readonly port: number;
  /** Bytes relayed client → server and server → client since the start (or the last `resetCounts`). */
  bytesUp(): number;
  bytesDown(): number;
  resetCounts(): void;
  /** Resolves once at least `bytes` went client → server since the last `resetCounts`. */
  whenUp(bytes: number): Promise<void>;
  /** Resolves once at least `bytes` went server → client since the last `resetCounts`. */
  whenDown(bytes: number): Promise<void>;
  /** Puts the fault in place; with `down`, resolves once the port refuses connections. */
  fail(fault: Fault): Promise<void>;
  /** The server is back: connections are accepted and relayed again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of a real server (a storage server, Vault, the control plane) that stands in for
 * stopping and restarting it without losing its state, on the same port: the service under test keeps
 * its configuration, as it would across a real restart. It counts the bytes it relays, so a test can
 * cut a transfer midway and see how much was sent again after the fault.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const separator = target.lastIndexOf(':');
  const host = target.slice(0, separator);
  const targetPort = Number(target.slice(separator + 1));
  let up = 0;
  let down = 0;
  let fault: Fault | undefined;
  const waiters: { direction: 'up' | 'down'; bytes: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  const held = new Set<Socket>();

  const settleWaiters = () => {
    for (const waiter of [...waiters]) {
      if ((waiter.direction === 'up' ? up : down) >= waiter.bytes) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  };

  const relay = (client: Socket) => {
    track(client);
    if (fault === 'stalled') {
      // Accepted by the kernel, never answered: a hung server.
      held.add(client);
      client.pause();
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = createConnection({ host, port: targetPort });
    track(upstream);
    const forward = (from: Socket, to: Socket, count: (bytes: number) => void) => {
      from.on('data', (chunk: Buffer) => {
        if (fault === 'stalled') {
          // Bytes of a hung server's connection go nowhere.
          from.pause();
          return;
        }
        count(chunk.length);
        settleWaiters();
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (fault !== 'stalled') from.resume();
          });
        }
      });
    };
    forward(client, upstream, (bytes) => {
      up += bytes;
    });
    forward(upstream, client, (bytes) => {
      down += bytes;
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };

  let server: Server = createServer(relay);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the fault proxy has no TCP port');
  const port = address.port;

  const listen = async () => {
    server = createServer(relay);
    // The port was ours a moment ago; a listen right after closing it may need a retry.
    for (let attempt = 0; ; attempt++) {
      try {
        server.listen(port, '127.0.0.1');
        await once(server, 'listening');
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
        server = createServer(relay);
      }
    }
  };
  const closeListener = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    address: `127.0.0.1:${port}`,
    port,
    bytesUp: () => up,
    bytesDown: () => down,
    resetCounts() {
      up = 0;
      down = 0;
    },
    whenUp: (bytes) =>
      new Promise((resolve) => {
        waiters.push({ direction: 'up', bytes, resolve });
        settleWaiters();
      }),
    whenDown: (bytes) =>
      new Promise((resolve) => {
        waiters.push({ direction: 'down', bytes, resolve });
        settleWaiters();
      }),
    async fail(next) {
      fault = next;
      if (next === 'down') {
        const closed = closeListener();
        for (const socket of sockets) socket.resetAndDestroy();
        await closed;
      }
    },
    async restore() {
      const was = fault;
      fault = undefined;
      if (was === 'down') await listen();
      if (was === 'stalled') {
        // A hung server that comes back has lost what it held: its connections drop.
        for (const socket of sockets) socket.resetAndDestroy();
      }
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await closeListener();
    },
  };
}
