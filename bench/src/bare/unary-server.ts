// A bare grpc-js unary server (a default `new Server()`, as the control plane's) that answers one method
// with fixed reply bytes and does nothing else: no authentication, no database, no signing, no interceptors.
// The ceiling of a control-plane unary call of the same reply size. Arguments: the method path and the
// reply as base64. Prints its port on stdout.
import { Server, ServerCredentials, type sendUnaryData } from '@grpc/grpc-js';

const [path, replyBase64] = process.argv.slice(2);
if (!path || replyBase64 === undefined)
  throw new Error('usage: unary-server.ts <method path> <reply base64>');
const reply = Buffer.from(replyBase64, 'base64');

const server = new Server();
server.addService(
  {
    call: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: Buffer) => value,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: (value: Buffer) => value,
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  },
  {
    call(_call: unknown, callback: sendUnaryData<Buffer>) {
      callback(null, reply);
    },
  },
);

server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${port}\n`);
});

// A clean exit on SIGTERM, so CAIRN_BENCH_NODE_ARGS="--cpu-prof …" gets its profile written.
process.once('SIGTERM', () => process.exit(0));
