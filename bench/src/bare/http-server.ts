// A bare node HTTP/1.1 server that only hashes what it receives (PUT) or sends (GET): the ceiling of
// the CAS's HTTP path. No storage, no auth. Prints its port on stdout.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';

const MiB = 1024 * 1024;
const block = randomBytes(MiB);

const server = createServer(async (request, response) => {
  if (request.method === 'PUT') {
    const hash = createHash('sha256');
    for await (const chunk of request) hash.update(chunk as Buffer);
    response.end(hash.digest('hex'));
    return;
  }
  const size = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('size') ?? 0);
  response.writeHead(200, { 'content-length': size });
  const hash = createHash('sha256');
  for (let sent = 0; sent < size; sent += MiB) {
    const chunk = block.subarray(0, Math.min(MiB, size - sent));
    hash.update(chunk);
    if (!response.write(chunk)) await once(response, 'drain');
  }
  hash.digest();
  response.end();
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
});

// A clean exit on SIGTERM, so CAIRN_BENCH_NODE_ARGS="--cpu-prof …" gets its profile written.
process.once('SIGTERM', () => process.exit(0));
