import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  byteStream,
  fromGrpcError,
  isServiceError,
  QueryWriteStatusRequestSchema,
  type WriteRequest,
  WriteRequestSchema,
} from '@cairn/api';
import { parseDigest } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';
import { type ClientWritableStream, status as GrpcStatus } from '@grpc/grpc-js';
import { CHUNK_SIZE } from './channel.js';
import { rechunk } from './chunks.js';
import type { Connection } from './connection.js';
import { digestFile, fileError } from './file-digest.js';
import type { ProgressListener } from './progress.js';
import { uploadResourceName } from './resource-names.js';
import { findMissingBlobs } from './resources.js';
import { canceled, type RetryEvent, type RetryPolicy, withRetries } from './retry.js';

/**
 * Bytes whose digest and size the caller already knows. With `data` as a function of the offset, an
 * interrupted upload resumes where the server stopped; a plain iterable can be sent only once.
 */
export interface StreamSource {
  readonly digest: string;
  readonly size: number;
  readonly data: AsyncIterable<Uint8Array> | ((offset: number) => AsyncIterable<Uint8Array>);
}

/** A file path (hashed first, then streamed) or bytes of known digest and size. */
export type UploadSource = string | StreamSource;

export interface UploadOptions {
  /** Travels as the `cairn-filename` metadata; for a path it defaults to the file's base name. */
  readonly fileName?: string;
  /** Travels as the `cairn-media-type` metadata, e.g. `application/spdx+json`. */
  readonly mediaType?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface UploadResult {
  readonly digest: string;
  readonly size: number;
  /** True when the CAS held the blob already and no byte was sent. */
  readonly existed: boolean;
}

/** QueryWriteStatus calls one resume may make when the upload moved on meanwhile. */
const MAX_STATUS_QUERIES = 3;

interface Blob {
  readonly digest: string;
  readonly hex: string;
  readonly size: number;
  readonly open: (offset: number) => AsyncIterable<Uint8Array>;
  /** False for a one-shot iterable once a byte of it was read. */
  readonly canReopen: () => boolean;
}

export async function uploadBlob(
  connection: Connection,
  policy: RetryPolicy,
  source: UploadSource,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const { signal } = options;
  const blob = typeof source === 'string' ? await fileBlob(source, options) : streamBlob(source, signal);
  const missing = await findMissingBlobs(connection, policy, [blob.digest], signal);
  if (!missing.includes(blob.digest)) {
    options.onProgress?.({ phase: 'uploading', bytes: blob.size, total: blob.size });
    return { digest: blob.digest, size: blob.size, existed: true };
  }
  const resourceName = uploadResourceName(blob.hex, blob.size);
  const fileName = options.fileName ?? (typeof source === 'string' ? basename(source) : undefined);
  const metadata: Record<string, string> = {};
  if (fileName !== undefined && fileName !== '') metadata['cairn-filename'] = fileName;
  if (options.mediaType !== undefined && options.mediaType !== '')
    metadata['cairn-media-type'] = options.mediaType;
  return withRetries(
    connection.peer,
    policy,
    signal,
    async ({ number: attempt, previousError }) => {
      let offset = 0;
      if (attempt > 1) {
        // A retry continues where the CAS says the interrupted Write stopped.
        const status = await queryWriteStatus(connection, resourceName, signal);
        if (status.complete) return done(blob, options);
        offset = status.committedSize;
        if (!blob.canReopen()) {
          const cause = fromGrpcError(previousError, connection.peer);
          throw new CairnError(
            cause.code,
            `${cause.message}; the upload cannot resume because its data was a one-shot stream`,
            { cause },
          );
        }
        options.onRetry?.({
          attempt,
          error: fromGrpcError(previousError, connection.peer),
          offset,
        });
      }
      let committed: number;
      for (let asked = 1; ; asked++) {
        try {
          committed = await writeAttempt(connection, blob, resourceName, metadata, offset, options);
          break;
        } catch (error) {
          // The dropped Write can still hand the CAS bytes it received before the drop after QueryWriteStatus
          // answered, so a resume may find the upload further on. It has let go by then (else the CAS says
          // upload_busy, which backs off): ask again and continue from there.
          const moved =
            attempt > 1 &&
            asked < MAX_STATUS_QUERIES &&
            fromGrpcError(error, connection.peer).details.reason === 'write_offset_mismatch';
          if (!moved) throw error;
          const status = await queryWriteStatus(connection, resourceName, signal);
          if (status.complete) return done(blob, options);
          offset = status.committedSize;
        }
      }
      if (committed !== blob.size) {
        throw new CairnError(
          Code.DataLoss,
          `the CAS committed ${committed} of ${blob.size} bytes of ${blob.digest}; upload it again`,
        );
      }
      return done(blob, options);
    },
    connection,
  );
}

async function fileBlob(path: string, options: UploadOptions): Promise<Blob> {
  const { signal, onProgress } = options;
  let total: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    total = info.size;
  } catch (error) {
    throw fileError(error, path);
  }
  const { digest, size } = await digestFile(path, {
    ...(signal === undefined ? {} : { signal }),
    onBytes: (bytes) => onProgress?.({ phase: 'hashing', bytes, total }),
  });
  return {
    digest,
    hex: parseDigest(digest),
    size,
    open: (offset) => readFileFrom(path, offset, signal),
    canReopen: () => true,
  };
}

async function* readFileFrom(path: string, offset: number, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, {
    start: offset,
    highWaterMark: CHUNK_SIZE,
    ...(signal === undefined ? {} : { signal }),
  });
  try {
    yield* stream as AsyncIterable<Buffer>;
  } catch (error) {
    throw signal?.aborted ? canceled(signal) : fileError(error, path);
  }
}

function streamBlob(source: StreamSource, signal?: AbortSignal): Blob {
  const hex = parseDigest(source.digest);
  if (!Number.isSafeInteger(source.size) || source.size < 0) {
    throw new CairnError(
      Code.InvalidArgument,
      `size ${source.size} is not a byte count; give a whole number ≥ 0`,
    );
  }
  const { data } = source;
  if (typeof data === 'function') {
    return { digest: source.digest, hex, size: source.size, open: data, canReopen: () => true };
  }
  let started = false;
  return {
    digest: source.digest,
    hex,
    size: source.size,
    open: (offset) => {
      if (offset !== 0 || started) {
        throw new CairnError(
          Code.FailedPrecondition,
          'a one-shot stream cannot be sent again; pass a reopenable source',
        );
      }
      started = true;
      return data;
    },
    canReopen: () => !started && signal?.aborted !== true,
  };
}

/** One Write call from `offset` to the end; resolves with the size the server committed. */
async function writeAttempt(
  connection: Connection,
  blob: Blob,
  resourceName: string,
  metadata: Record<string, string>,
  offset: number,
  options: UploadOptions,
): Promise<number> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const { call, response } = await connection.clientStream(byteStream.write, metadata);
  const cancel = () => call.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  let answered = false;
  const answer = response.then(
    () => {
      answered = true;
    },
    () => {
      answered = true;
    },
  );
  try {
    let position = offset;
    const request = (data: Uint8Array, last: boolean): WriteRequest =>
      create(WriteRequestSchema, {
        resourceName: position === offset ? resourceName : '',
        writeOffset: BigInt(position),
        data,
        finishWrite: last,
      });
    if (position === blob.size) {
      await send(call, request(new Uint8Array(0), true), answer);
    } else {
      for await (const chunk of rechunk(blob.open(offset), CHUNK_SIZE)) {
        // The server may end the call early, e.g. because the blob now exists; its answer tells.
        if (answered) break;
        const end = position + chunk.length;
        if (end > blob.size) {
          throw new CairnError(
            Code.InvalidArgument,
            `the data is longer than its declared size of ${blob.size} bytes`,
          );
        }
        await send(call, request(chunk, end === blob.size), answer);
        position = end;
        onProgress?.({ phase: 'uploading', bytes: position, total: blob.size });
      }
      if (!answered && position < blob.size) {
        throw new CairnError(
          Code.InvalidArgument,
          `the data ended after ${position} of its declared ${blob.size} bytes; check the declared size`,
        );
      }
    }
    call.end();
    const result = await response;
    return Number(result.committedSize);
  } catch (error) {
    call.cancel();
    if (answered) await response; // the server's reason beats ours
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

/** Writes one message, waiting for the stream to drain when its buffer is full (or for the call to end). */
async function send(call: ClientWritableStream<WriteRequest>, message: WriteRequest, answer: Promise<void>) {
  if (call.write(message)) return;
  const stopWaiting = new AbortController();
  try {
    await Promise.race([once(call, 'drain', { signal: stopWaiting.signal }), answer]);
  } finally {
    stopWaiting.abort();
  }
}

async function queryWriteStatus(
  connection: Connection,
  resourceName: string,
  signal?: AbortSignal,
): Promise<{ committedSize: number; complete: boolean }> {
  try {
    const status = await connection.unary(
      byteStream.queryWriteStatus,
      create(QueryWriteStatusRequestSchema, { resourceName }),
      signal,
    );
    return { committedSize: Number(status.committedSize), complete: status.complete };
  } catch (error) {
    // The server never saw this upload (it broke before the first message): start it from the beginning.
    if (isServiceError(error) && error.code === GrpcStatus.NOT_FOUND)
      return { committedSize: 0, complete: false };
    throw error;
  }
}

function done(blob: Blob, options: UploadOptions): UploadResult {
  options.onProgress?.({ phase: 'uploading', bytes: blob.size, total: blob.size });
  return { digest: blob.digest, size: blob.size, existed: false };
}
