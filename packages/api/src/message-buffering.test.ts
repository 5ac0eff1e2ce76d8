import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import {
  Client,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type ServerWritableStream,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  byteStream,
  type ReadRequest,
  ReadRequestSchema,
  type ReadResponse,
  ReadResponseSchema,
  type WriteRequest,
  WriteRequestSchema,
  type WriteResponse,
  WriteResponseSchema,
} from './index.js';
import { limitMessageBuffering } from './message-buffering.js';

const MESSAGES = 24;
const servers: Server[] = [];
const clients: Client[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) server.forceShutdown();
});

interface Observed {
  /** Messages grpc-js had decoded and queued while the handler worked on the first. */
  queuedBeforeReading: number;
  /** How many writes a server stream took before it asked the handler to wait for 'drain'. */
  writesBeforeBackpressure: number;
  applied: boolean[];
}

/** A real grpc-js server whose ByteStream handlers record how much grpc-js buffered for them. */
async function serve(limit: number | undefined): Promise<{ client: Client; observed: Observed }> {
  const observed: Observed = { queuedBeforeReading: -1, writesBeforeBackpressure: -1, applied: [] };
  const server = new Server();
  servers.push(server);
  server.addService(byteStream, {
    write(call: ServerReadableStream<WriteRequest, WriteResponse>, callback: sendUnaryData<WriteResponse>) {
      if (limit !== undefined) observed.applied.push(limitMessageBuffering(call, limit));
      void (async () => {
        const requests = call[Symbol.asyncIterator]() as AsyncIterator<WriteRequest>;
        let next = await requests.next();
        // Busy with the first message (as with a slow disk) while the client's others arrive: wait until
        // the queue holds what it may hold (or 5 s passed), then a little longer to see it grow no further.
        const expected = limit ?? 16;
        for (let waited = 0; call.readableLength < expected && waited < 5000; waited += 10) await sleep(10);
        await sleep(200);
        observed.queuedBeforeReading = call.readableLength;
        let received = 0n;
        for (; !next.done; next = await requests.next()) received += BigInt(next.value.data.byteLength);
        callback(null, create(WriteResponseSchema, { committedSize: received }));
      })();
    },
    read(call: ServerWritableStream<ReadRequest, ReadResponse>) {
      if (limit !== undefined) observed.applied.push(limitMessageBuffering(call, limit));
      let writes = 0;
      for (; writes < MESSAGES; writes++) {
        if (!call.write(create(ReadResponseSchema, { data: new Uint8Array(1024) }))) break;
      }
      observed.writesBeforeBackpressure = writes + 1;
      call.end();
    },
    queryWriteStatus(_call: unknown, callback: sendUnaryData<unknown>) {
      callback(null, {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  clients.push(client);
  return { client, observed };
}

function write(client: Client): Promise<WriteResponse> {
  return new Promise((resolve, reject) => {
    const call = client.makeClientStreamRequest(
      byteStream.write.path,
      byteStream.write.requestSerialize,
      byteStream.write.responseDeserialize,
      new Metadata(),
      (error, response) => (error || !response ? reject(error) : resolve(response)),
    );
    for (let index = 0; index < MESSAGES; index++) {
      call.write(create(WriteRequestSchema, { data: new Uint8Array(16 * 1024), finishWrite: false }));
    }
    call.end();
  });
}

function read(client: Client): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = client.makeServerStreamRequest(
      byteStream.read.path,
      byteStream.read.requestSerialize,
      byteStream.read.responseDeserialize,
      create(ReadRequestSchema, { resourceName: 'blobs/any/1' }),
      new Metadata(),
    );
    let messages = 0;
    call.on('data', () => {
      messages += 1;
    });
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}

describe('limitMessageBuffering on real grpc-js calls', () => {
  it('grpc-js alone decodes 16 messages ahead of a busy client-stream handler', async () => {
    const { client, observed } = await serve(undefined);
    expect(await write(client)).toMatchObject({ committedSize: BigInt(MESSAGES * 16 * 1024) });
    expect(observed.queuedBeforeReading).toBe(16);
  });

  it('with a limit of one, a client-stream handler has one message waiting and still gets them all', async () => {
    const { client, observed } = await serve(1);
    expect(await write(client)).toMatchObject({ committedSize: BigInt(MESSAGES * 16 * 1024) });
    expect(observed.applied).toEqual([true]);
    expect(observed.queuedBeforeReading).toBe(1);
  });

  it('a server-stream handler is told to wait after `limit` messages instead of 16', async () => {
    const unlimited = await serve(undefined);
    await read(unlimited.client);
    expect(unlimited.observed.writesBeforeBackpressure).toBe(16);

    const limited = await serve(2);
    // Every message still arrives: the limit only moves the point where the handler should wait.
    expect(await read(limited.client)).toBe(2);
    expect(limited.observed.applied).toEqual([true]);
    expect(limited.observed.writesBeforeBackpressure).toBe(2);
  });

  it('limits a client call too: its writer is told to wait after one queued message', async () => {
    const { client } = await serve(undefined);
    const call = client.makeClientStreamRequest(
      byteStream.write.path,
      byteStream.write.requestSerialize,
      byteStream.write.responseDeserialize,
      new Metadata(),
      () => {},
    );
    expect(limitMessageBuffering(call, 1)).toBe(true);
    const message = () => create(WriteRequestSchema, { data: new Uint8Array(1024) });
    expect(call.write(message())).toBe(false);
    call.cancel();
  });

  it('refuses a limit below one message', async () => {
    const { Readable } = await import('node:stream');
    expect(() => limitMessageBuffering(new Readable({ objectMode: true }), 0)).toThrow(RangeError);
  });
});
