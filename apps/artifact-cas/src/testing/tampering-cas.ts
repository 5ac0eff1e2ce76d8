import { byteStream, type ReadRequest, type ReadResponse, resourceService } from '@cairn/api';
import {
  Client,
  credentials,
  Metadata,
  type MethodDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
  type sendUnaryData,
} from '@grpc/grpc-js';

export interface TamperingCas {
  readonly address: string;
  close(): Promise<void>;
}

/**
 * A gRPC relay in front of a real CAS that flips one bit of every blob it serves (at `flipAt`),
 * standing in for a faulty proxy or memory error between the CAS and the client. Describe and
 * FindMissing pass through unchanged, so the client sees a consistent CAS that serves bad bytes.
 */
export async function startTamperingCas(upstreamAddress: string, flipAt: number): Promise<TamperingCas> {
  const upstream = new Client(upstreamAddress, credentials.createInsecure());
  const server = new Server();
  const forwardUnary =
    <Req, Res>(method: MethodDefinition<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      upstream.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        call.request,
        forwardedMetadata(call.metadata),
        (error, response) => callback(error, response),
      );
    };
  server.addService(resourceService, {
    describe: forwardUnary(resourceService.describe),
    findMissing: forwardUnary(resourceService.findMissing),
  });
  server.addService(byteStream, {
    read: (call: ServerWritableStream<ReadRequest, ReadResponse>) => {
      const source = upstream.makeServerStreamRequest(
        byteStream.read.path,
        byteStream.read.requestSerialize,
        byteStream.read.responseDeserialize,
        call.request,
        forwardedMetadata(call.metadata),
      );
      let position = Number(call.request.readOffset);
      source.on('data', (response: ReadResponse) => {
        const index = flipAt - position;
        if (index >= 0 && index < response.data.length) {
          const data = Uint8Array.from(response.data);
          data[index] = (data[index] ?? 0) ^ 0x01;
          response.data = data;
        }
        position += response.data.length;
        call.write(response);
      });
      source.on('end', () => call.end());
      source.on('error', (error: ServiceError) => call.emit('error', error));
      call.on('cancelled', () => source.cancel());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      server.forceShutdown();
      upstream.close();
    },
  };
}

function forwardedMetadata(incoming: Metadata): Metadata {
  const metadata = new Metadata();
  for (const key of ['authorization', 'cairn-filename', 'cairn-media-type']) {
    const value = incoming.get(key)[0];
    if (typeof value === 'string') metadata.set(key, value);
  }
  return metadata;
}
