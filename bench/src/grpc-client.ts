import { createHash, randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import {
  BUFFERED_MESSAGES,
  byteStream,
  limitMessageBuffering,
  ReadRequestSchema,
  WriteRequestSchema,
} from '@cairn/api';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { CONNECTION_WINDOW } from './bare/windows.js';
import type { Payload } from './data.js';

/** A raw ByteStream client used against the bare server and the CAS alike, so the ratio isolates the server. */
export function byteStreamClient(address: string, tunedWindows: boolean, ownConnection = false): Client {
  return new Client(address, credentials.createInsecure(), {
    ...(tunedWindows ? { 'grpc-node.flow_control_window': CONNECTION_WINDOW } : {}),
    // Separate clients share one connection unless each has its own subchannel pool.
    ...(ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {}),
    'grpc.max_receive_message_length': 8 * 1024 * 1024,
    'grpc.max_send_message_length': 8 * 1024 * 1024,
  });
}

function metadataOf(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** Writes a payload as `uploads/{uuid}/blobs/{hex}/{size}` in 1 MiB messages; resolves with committed_size. */
export function grpcWrite(client: Client, payload: Payload, token?: string): Promise<bigint> {
  const definition = byteStream.write;
  const name = `uploads/${randomUUID()}/blobs/${payload.hex}/${payload.size}`;
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      metadataOf(token),
      (error, response) => (error || !response ? reject(error) : resolve(response.committedSize)),
    );
    // As the cas-client does: a writer faster than the server otherwise queues 16 MiB, which costs this
    // process full GCs and skews every figure the bench compares.
    limitMessageBuffering(call, BUFFERED_MESSAGES);
    let offset = 0n;
    const chunks = payload.chunks();
    const pump = () => {
      for (;;) {
        const next = chunks.next();
        if (next.done) {
          call.end();
          return;
        }
        const data = next.value;
        const request = create(WriteRequestSchema, {
          resourceName: offset === 0n ? name : '',
          writeOffset: offset,
          data,
          finishWrite: offset + BigInt(data.byteLength) === BigInt(payload.size),
        });
        offset += BigInt(data.byteLength);
        if (!call.write(request)) {
          call.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Reads `blobs/{hex}/{size}`, hashing what arrives; resolves with the byte count and digest. */
export function grpcRead(
  client: Client,
  hex: string,
  size: number,
  token?: string,
): Promise<{ size: number; hex: string }> {
  const definition = byteStream.read;
  return new Promise((resolve, reject) => {
    const call = client.makeServerStreamRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      create(ReadRequestSchema, { resourceName: `blobs/${hex}/${size}` }),
      metadataOf(token),
    );
    limitMessageBuffering(call, BUFFERED_MESSAGES);
    const hash = createHash('sha256');
    let received = 0;
    call.on('data', (response: { data: Uint8Array }) => {
      hash.update(response.data);
      received += response.data.byteLength;
    });
    call.on('error', reject);
    call.on('end', () => resolve({ size: received, hex: hash.digest('hex') }));
  });
}
