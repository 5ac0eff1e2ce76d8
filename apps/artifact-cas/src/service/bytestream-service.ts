import { create } from '@bufbuild/protobuf';
import {
  type QueryWriteStatusRequest,
  type QueryWriteStatusResponse,
  QueryWriteStatusResponseSchema,
  type ReadRequest,
  type ReadResponse,
  type WriteRequest,
  type WriteResponse,
  WriteResponseSchema,
} from '@cairn/api';
import type { BlobMeta } from '@cairn/backends';
import { formatDigest } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { ReadBlob } from '../biz/read-blob.js';
import type { WriteBlob, WriteChunk } from '../biz/write-blob.js';
import { blobMetaFrom } from './blob-meta.js';
import type { CallContext } from './call-context.js';
import { readResponses } from './read-responses.js';
import { parseDownloadName, parseUploadName, UPLOAD_NAME_FORM } from './resource-names.js';

/** google.bytestream.ByteStream in proto terms, over the Write/Read use-cases. */
export class ByteStreamService {
  constructor(
    private readonly writes: WriteBlob,
    private readonly reads: ReadBlob,
    private readonly chunkBytes: number,
  ) {}

  async write(ctx: CallContext, requests: AsyncIterator<WriteRequest>): Promise<WriteResponse> {
    const claims = await ctx.authorize({ role: 'upload' });
    const first = await requests.next();
    if (first.done) {
      throw new CairnError(
        Code.InvalidArgument,
        `the Write stream sent no request; the first names ${UPLOAD_NAME_FORM}`,
      );
    }
    const name = parseUploadName(first.value.resourceName);
    ctx.note({ resource: name.name });
    const meta: BlobMeta = blobMetaFrom(ctx.metadata('cairn-filename'), ctx.metadata('cairn-media-type'));
    const outcome = await this.writes.write(
      claims,
      name,
      meta,
      chunksOf(first.value, requests, first.value.resourceName, ctx),
      ctx.signal,
    );
    ctx.note({ existed: outcome.existed });
    return create(WriteResponseSchema, { committedSize: BigInt(outcome.committedSize) });
  }

  async queryWriteStatus(
    ctx: CallContext,
    request: QueryWriteStatusRequest,
  ): Promise<QueryWriteStatusResponse> {
    const claims = await ctx.authorize({ role: 'upload' });
    const name = parseUploadName(request.resourceName);
    ctx.note({ resource: name.name });
    const outcome = await this.writes.status(claims, name, ctx.signal);
    return create(QueryWriteStatusResponseSchema, {
      committedSize: BigInt(outcome.committedSize),
      complete: outcome.complete,
    });
  }

  /** Yields the verified bytes in messages of about `chunkBytes`; the caller sends them with backpressure. */
  async *read(ctx: CallContext, request: ReadRequest): AsyncGenerator<ReadResponse> {
    const blob = parseDownloadName(request.resourceName);
    ctx.note({ resource: request.resourceName });
    const claims = await ctx.authorize({ role: 'download', digest: formatDigest(blob.hex) });
    if (request.readOffset < 0n) {
      throw new CairnError(
        Code.OutOfRange,
        `read_offset ${request.readOffset} is negative; ask for an offset from 0 to the blob's size`,
      );
    }
    if (request.readLimit < 0n) {
      throw new CairnError(
        Code.InvalidArgument,
        `read_limit ${request.readLimit} is negative; use 0 for no limit`,
      );
    }
    if (request.readOffset > BigInt(blob.size)) {
      throw new CairnError(
        Code.OutOfRange,
        `read_offset ${request.readOffset} is past the end of the ${blob.size}-byte blob; ask for an offset up to ${blob.size}`,
      );
    }
    const offset = Number(request.readOffset);
    const limit = request.readLimit === 0n ? undefined : bigToNumber(request.readLimit);
    const read = await this.reads.open(
      claims,
      blob,
      limit === undefined ? { offset } : { offset, length: limit },
      ctx.signal,
    );
    try {
      for await (const response of readResponses(read.body, this.chunkBytes)) {
        yield response;
        ctx.sent(response.data.byteLength);
      }
    } finally {
      read.release();
    }
  }
}

/** The requests of one Write as chunks; later requests may repeat the resource name but not change it. */
async function* chunksOf(
  first: WriteRequest,
  rest: AsyncIterator<WriteRequest>,
  resourceName: string,
  ctx: CallContext,
): AsyncGenerator<WriteChunk> {
  let request: WriteRequest | undefined = first;
  while (request) {
    if (request.resourceName !== '' && request.resourceName !== resourceName) {
      throw new CairnError(
        Code.InvalidArgument,
        'a Write stream names one resource; later requests must leave resource_name empty or repeat it',
      );
    }
    if (request.writeOffset < 0n || request.writeOffset > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CairnError(
        Code.InvalidArgument,
        `write_offset ${request.writeOffset} is not a valid byte offset`,
      );
    }
    ctx.received(request.data.byteLength);
    yield { offset: Number(request.writeOffset), data: request.data, finish: request.finishWrite };
    if (request.finishWrite) return;
    const next: IteratorResult<WriteRequest> = await rest.next();
    request = next.done ? undefined : next.value;
  }
}

function bigToNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
