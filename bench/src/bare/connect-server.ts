// A bare ByteStream server on connect-node over an HTTP/2 server we own, so its flow-control windows
// can be raised directly: the alternative to hooking grpc-js that docs/architecture.md weighs.
// It only hashes (no storage, no auth). Prints its port on stdout.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http2';
import { ByteStream } from '@cairn/api';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { CONNECTION_WINDOW, STREAM_WINDOW } from './windows.js';

const MiB = 1024 * 1024;
const block = randomBytes(MiB);

const handler = connectNodeAdapter({
  grpc: true,
  connect: false,
  grpcWeb: false,
  readMaxBytes: 4 * MiB,
  routes(router) {
    router.service(ByteStream, {
      async write(requests) {
        const hash = createHash('sha256');
        let size = 0n;
        for await (const request of requests) {
          hash.update(request.data);
          size += BigInt(request.data.byteLength);
        }
        hash.digest();
        return { committedSize: size };
      },
      async *read(request) {
        const size = Number(request.resourceName.split('/').at(-1));
        const hash = createHash('sha256');
        for (let sent = 0; sent < size; sent += MiB) {
          const data = block.subarray(0, Math.min(MiB, size - sent));
          hash.update(data);
          yield { data };
        }
        hash.digest();
      },
      async queryWriteStatus() {
        return { committedSize: 0n, complete: false };
      },
    });
  },
});

const server = createServer({ settings: { initialWindowSize: STREAM_WINDOW } }, handler);
server.on('session', (session) => session.setLocalWindowSize(CONNECTION_WINDOW));
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
});

// A clean exit on SIGTERM, so CAIRN_BENCH_NODE_ARGS="--cpu-prof …" gets its profile written.
process.once('SIGTERM', () => process.exit(0));
