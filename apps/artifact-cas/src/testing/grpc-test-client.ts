import { create } from '@bufbuild/protobuf';
import {
  backendService,
  byteStream,
  CheckWriteAccessRequestSchema,
  type CheckWriteAccessResponse,
  DescribeRequestSchema,
  type DescribeResponse,
  FindMissingRequestSchema,
  type FindMissingResponse,
  QueryWriteStatusRequestSchema,
  type QueryWriteStatusResponse,
  ReadRequestSchema,
  resourceService,
  type WriteRequest,
  WriteRequestSchema,
} from '@cairn/api';
import {
  Client,
  type ClientWritableStream,
  credentials,
  Metadata,
  type MethodDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { clientFlowControlOptions } from '../server/flow-control.js';

export type WriteMessage = {
  resourceName?: string;
  writeOffset?: number;
  finishWrite?: boolean;
  data?: Uint8Array;
};

/** A plain grpc-js client of the CAS for tests: no retries, no hashing, every status visible. */
export class GrpcTestClient {
  readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure(), {
      ...clientFlowControlOptions(),
      'grpc.max_receive_message_length': 8 * 1024 * 1024,
    });
  }

  close(): void {
    this.client.close();
  }

  metadata(token: string | undefined, extra: Record<string, string> = {}): Metadata {
    const metadata = new Metadata();
    if (token !== undefined) metadata.set('authorization', token.includes(' ') ? token : `Bearer ${token}`);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    return metadata;
  }

  unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, metadata: Metadata): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        (error, response) => (error || response === undefined ? reject(error) : resolve(response)),
      );
    });
  }

  /** Starts a Write; send messages with `send`, then `end()` and await `response`. */
  startWrite(token: string | undefined, extra: Record<string, string> = {}) {
    let call: ClientWritableStream<WriteRequest> | undefined;
    const response = new Promise<bigint>((resolve, reject) => {
      call = this.client.makeClientStreamRequest(
        byteStream.write.path,
        byteStream.write.requestSerialize,
        byteStream.write.responseDeserialize,
        this.metadata(token, extra),
        (error, reply) => (error || reply === undefined ? reject(error) : resolve(reply.committedSize)),
      );
    });
    // Keep an early rejection from counting as unhandled before the test awaits it.
    response.catch(() => {});
    const stream = call as unknown as ClientWritableStream<WriteRequest>;
    return {
      call: stream,
      response,
      send: (message: WriteMessage) =>
        new Promise<void>((resolve, reject) => {
          const request = create(WriteRequestSchema, {
            resourceName: message.resourceName ?? '',
            writeOffset: BigInt(message.writeOffset ?? 0),
            finishWrite: message.finishWrite ?? false,
            data: message.data ?? new Uint8Array(),
          });
          if (stream.write(request)) resolve();
          else {
            // A call that ended (refused, canceled) never drains: report its status instead.
            stream.once('drain', () => resolve());
            response.then(
              () => resolve(),
              (error: unknown) => reject(error),
            );
          }
        }),
      end: () => stream.end(),
    };
  }

  /** Writes `data` under `name` in chunks of `chunk` bytes from `offset`, finishing the write. */
  async write(
    token: string | undefined,
    name: string,
    data: Uint8Array,
    options: { offset?: number; chunk?: number; finish?: boolean; metadata?: Record<string, string> } = {},
  ): Promise<bigint> {
    const write = this.startWrite(token, options.metadata);
    const chunk = options.chunk ?? 256 * 1024;
    let offset = options.offset ?? 0;
    const finish = options.finish ?? true;
    if (data.byteLength === offset) {
      await write.send({ resourceName: name, writeOffset: offset, finishWrite: finish });
    }
    let first = true;
    while (offset < data.byteLength) {
      const piece = data.subarray(offset, offset + chunk);
      const last = offset + piece.byteLength === data.byteLength;
      await write.send({
        resourceName: first ? name : '',
        writeOffset: offset,
        data: piece,
        finishWrite: last && finish,
      });
      first = false;
      offset += piece.byteLength;
    }
    write.end();
    return write.response;
  }

  /** Reads a resource whole; resolves the bytes, or rejects with the status (and the bytes so far). */
  read(
    token: string | undefined,
    name: string,
    options: { offset?: number; limit?: number } = {},
  ): Promise<Buffer> {
    const parts: Buffer[] = [];
    return new Promise((resolve, reject) => {
      const call = this.client.makeServerStreamRequest(
        byteStream.read.path,
        byteStream.read.requestSerialize,
        byteStream.read.responseDeserialize,
        create(ReadRequestSchema, {
          resourceName: name,
          readOffset: BigInt(options.offset ?? 0),
          readLimit: BigInt(options.limit ?? 0),
        }),
        this.metadata(token),
      );
      call.on('data', (response: { data: Uint8Array }) => parts.push(Buffer.from(response.data)));
      call.on('error', (error: ServiceError) =>
        reject(Object.assign(error, { received: Buffer.concat(parts) })),
      );
      call.on('end', () => resolve(Buffer.concat(parts)));
    });
  }

  queryWriteStatus(token: string | undefined, name: string): Promise<QueryWriteStatusResponse> {
    return this.unary(
      byteStream.queryWriteStatus,
      create(QueryWriteStatusRequestSchema, { resourceName: name }),
      this.metadata(token),
    );
  }

  describe(token: string | undefined, digest: string): Promise<DescribeResponse> {
    return this.unary(
      resourceService.describe,
      create(DescribeRequestSchema, { digest }),
      this.metadata(token),
    );
  }

  findMissing(token: string | undefined, digests: string[]): Promise<FindMissingResponse> {
    return this.unary(
      resourceService.findMissing,
      create(FindMissingRequestSchema, { digests }),
      this.metadata(token),
    );
  }

  checkWriteAccess(token: string | undefined): Promise<CheckWriteAccessResponse> {
    return this.unary(
      backendService.checkWriteAccess,
      create(CheckWriteAccessRequestSchema, {}),
      this.metadata(token),
    );
  }
}
