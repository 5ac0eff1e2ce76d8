// A bare grpc-js ByteStream server that only hashes (no storage, no auth), tuned as the CAS is (the same
// flow-control hook, one message held per stream): the ceiling of the CAS's gRPC path. Pass
// `--default-windows` to measure grpc-js as it comes. Prints its port on stdout.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import {
  BUFFERED_MESSAGES,
  byteStream,
  limitMessageBuffering,
  ReadResponseSchema,
  WriteResponseSchema,
} from '@cairn/api';
// The hook's own module, not the CAS's index: the ceiling should not carry the CAS's heap.
import { raiseServerFlowControlWindows } from '@cairn/artifact-cas/flow-control';
import {
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';

const MiB = 1024 * 1024;
const block = randomBytes(MiB);

const server = new Server({ 'grpc.max_receive_message_length': 8 * MiB });
const tuned = !process.argv.includes('--default-windows');
if (tuned) raiseServerFlowControlWindows(server);
const tune = (call: Readable | Writable) => {
  if (tuned) limitMessageBuffering(call, BUFFERED_MESSAGES);
};

server.addService(byteStream, {
  write(call: ServerReadableStream<{ data: Uint8Array }, unknown>, callback: sendUnaryData<unknown>) {
    tune(call);
    const hash = createHash('sha256');
    let size = 0n;
    call.on('data', (request: { data: Uint8Array }) => {
      hash.update(request.data);
      size += BigInt(request.data.byteLength);
    });
    call.on('end', () => {
      hash.digest();
      callback(null, create(WriteResponseSchema, { committedSize: size }));
    });
  },
  read(call: ServerWritableStream<{ resourceName: string }, unknown>) {
    tune(call);
    const size = Number(call.request.resourceName.split('/').at(-1));
    const hash = createHash('sha256');
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const data = block.subarray(0, Math.min(MiB, size - sent));
        hash.update(data);
        sent += data.byteLength;
        if (!call.write(create(ReadResponseSchema, { data }))) {
          call.once('drain', pump);
          return;
        }
      }
      hash.digest();
      call.end();
    };
    pump();
  },
  queryWriteStatus(_call: unknown, callback: sendUnaryData<unknown>) {
    callback(null, {});
  },
});

server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});

// A clean exit on SIGTERM, so CAIRN_BENCH_NODE_ARGS="--cpu-prof …" gets its profile written.
process.once('SIGTERM', () => process.exit(0));
