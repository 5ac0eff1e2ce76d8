// A bare node HTTP/1.1 server that hashes and stores, written the plain way (stream.pipeline into a file
// write stream): the CAS's HTTP path with the same storage cost but no auth, metadata, ranges or limits.
// PUT /blobs/{hex} stores under DIR/{hex} (temp file, fsync, rename), GET streams it back hashing on the
// way, DELETE removes it. Prints its port on stdout. Usage: http-store-server.ts DIR
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const storeDir = process.argv[2];
if (!storeDir) throw new Error('usage: http-store-server.ts DIR');

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

async function put(request: IncomingMessage, response: ServerResponse, path: string): Promise<void> {
  const hash = createHash('sha256');
  const temp = `${path}.partial`;
  await pipeline(request, hashing(hash), createWriteStream(temp, { flags: 'wx' }));
  const handle = await open(temp, 'r');
  await handle.sync();
  await handle.close();
  await rename(temp, path);
  response.end(hash.digest('hex'));
}

async function get(response: ServerResponse, path: string): Promise<void> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hashing(hash), response);
  hash.digest();
}

const server = createServer((request, response) => {
  const hex = /^\/blobs\/([0-9a-f]{64})$/.exec(request.url ?? '')?.[1];
  if (!hex) {
    response.writeHead(404).end();
    return;
  }
  const path = join(storeDir, hex);
  const handled =
    request.method === 'PUT'
      ? put(request, response, path)
      : request.method === 'DELETE'
        ? rm(path, { force: true }).then(() => void response.end())
        : get(response, path);
  handled.catch((error: unknown) => {
    if (!response.headersSent) response.writeHead(500);
    response.end(String(error));
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${address.port}\n`);
});

// A clean exit on SIGTERM, so CAIRN_BENCH_NODE_ARGS="--cpu-prof …" gets its profile written.
process.once('SIGTERM', () => process.exit(0));
