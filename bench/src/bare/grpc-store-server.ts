// A bare grpc-js ByteStream server that hashes AND stores each upload durably, tuned as the CAS is (the same
// flow-control hook, one message held per stream): the ceiling of the CAS's small uploads, which store too.
// Each Write goes the way any durable content store must: a temp file, its bytes written as they arrive,
// fsync, the digest checked, rename into ROOT/sha256/<first 2 hex>/<hex> (the CAS's own layout, in the CAS's
// own folder), and an fsync of the directory that got the new name before the Write is acknowledged.
//
// What is unavoidable, and so done here: fsync of the file (its bytes), the rename (nothing half-written
// under a digest), and fsync of the directory holding the new name (without it the name, not the bytes,
// may be lost to a power cut after the client was told the blob is stored; a shard directory made on
// first use needs its parent synced too, once). The temp file's own directory needs no sync: the temp
// name is meant to vanish. Not done: an existence check before the upload (the CAS's protocol asks for
// one to spare a client the bytes; it is not storage work), auth, metadata and resumable staging.
// Usage: grpc-store-server.ts ROOT. Prints its port on stdout.
import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { BUFFERED_MESSAGES, byteStream, limitMessageBuffering, WriteResponseSchema } from '@cairn/api';
import { raiseServerFlowControlWindows } from '@cairn/artifact-cas/flow-control';
import {
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';

const root = process.argv[2];
if (!root) throw new Error('usage: grpc-store-server.ts ROOT');
const blobsDir = join(root, 'sha256');
// A staging folder of its own beside the CAS's, on the same filesystem so the rename is atomic.
const stagingDir = join(root, '.bare-staging');
await mkdir(stagingDir, { recursive: true, mode: 0o700 });

const MiB = 1024 * 1024;
const server = new Server({ 'grpc.max_receive_message_length': 8 * MiB });
raiseServerFlowControlWindows(server);

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.byteLength; ) {
    written += (await handle.write(data, written, data.byteLength - written)).bytesWritten;
  }
}

/** Renames into the shard directory, making it (and syncing its parent) the first time it is needed. */
async function publish(temp: string, hex: string): Promise<void> {
  const shard = join(blobsDir, hex.slice(0, 2));
  const target = join(shard, hex);
  try {
    await rename(temp, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(shard, { recursive: true, mode: 0o700 });
    await syncDirectory(blobsDir);
    await rename(temp, target);
  }
  await syncDirectory(shard);
}

async function store(call: ServerReadableStream<WriteRequest, unknown>): Promise<bigint> {
  const hash = createHash('sha256');
  const temp = join(stagingDir, `${randomBytes(8).toString('hex')}.partial`);
  const handle = await open(temp, 'wx', 0o600);
  let name = '';
  let size = 0n;
  try {
    // One write at a time, in order: the stream pauses while a message goes to the file.
    for await (const request of call as AsyncIterable<WriteRequest>) {
      if (name === '') name = request.resourceName;
      hash.update(request.data);
      size += BigInt(request.data.byteLength);
      await writeAll(handle, request.data);
    }
    const [, , , hex, declared] = name.split('/');
    if (hash.digest('hex') !== hex || BigInt(declared ?? -1) !== size) throw new Error('digest mismatch');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await publish(temp, name.split('/')[3] as string);
  return size;
}

interface WriteRequest {
  readonly resourceName: string;
  readonly data: Uint8Array;
}

server.addService(byteStream, {
  write(call: ServerReadableStream<WriteRequest, unknown>, callback: sendUnaryData<unknown>) {
    limitMessageBuffering(call, BUFFERED_MESSAGES);
    store(call).then(
      (committedSize) => callback(null, create(WriteResponseSchema, { committedSize })),
      (error: unknown) => callback({ code: status.INTERNAL, details: String(error) }),
    );
  },
  // Read and QueryWriteStatus are left to grpc-js, which answers UNIMPLEMENTED: this ceiling only stores.
});

server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});

// A clean exit on SIGTERM, so CAIRN_BENCH_NODE_ARGS="--cpu-prof …" gets its profile written.
process.once('SIGTERM', () => process.exit(0));
