import { createServer } from 'node:net';

/**
 * Each starter of processes gets its own range, so no two pickers ever hand out the same port. The storage
 * servers of `@cairn/backends/testing` (registry, Swift) keep the kernel's pick (`listen(0)`): every vitest
 * worker starts its own, and workers of one range would draw the same ports independently of each other.
 */
export const PORT_RANGES = {
  /** Tests that run `npm start` or a control plane as a process of its own. */
  embedded: { from: 8_000, to: 10_000 },
  /** The system tests (`e2e/`). */
  systemTests: { from: 12_000, to: 20_000 },
  /** `npm run cluster`'s replicas and frontends. */
  cluster: { from: 20_000, to: 32_000 },
} as const;

/**
 * Ports for services this process starts as other processes, taken from below Linux's ephemeral range
 * (32768-60999), where the kernel picks for outgoing connections and `listen(0)`: a port picked there and
 * released could be taken by another process's connection before the service binds it, or while it is
 * restarted after a kill -9. Each caller gets its own range, so two pickers in one test suite never meet;
 * within a range no port is given twice by this process.
 */
export function portPicker(range: { readonly from: number; readonly to: number }) {
  const given = new Set<number>();
  return async function freePort(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const port = range.from + Math.floor(Math.random() * (range.to - range.from));
      if (given.has(port) || !(await canListen(port))) continue;
      given.add(port);
      return port;
    }
    throw new Error(`no free port between ${range.from} and ${range.to} on 127.0.0.1`);
  };
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
