import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { byteStream, fromGrpcError, ReadRequestSchema, type ReadResponse } from '@cairn/api';
import { formatDigest, parseDigest } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';
import type { Connection } from './connection.js';
import type { ProgressListener } from './progress.js';
import { downloadResourceName } from './resource-names.js';
import { describeBlob } from './resources.js';
import { type RetryEvent, type RetryPolicy, withRetries } from './retry.js';

/** A file path (written beside, renamed into place once verified) or a stream (e.g. stdout). */
export type DownloadDestination = string | Writable;

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  readonly onRetry?: (event: RetryEvent) => void;
  /**
   * Fetch from this byte on, into a stream destination only. The client then sees part of the blob and
   * cannot check its digest (the result says `verified: false`); the CAS still checks what it serves.
   */
  readonly offset?: number;
}

export interface DownloadResult {
  readonly digest: string;
  readonly size: number;
  /** Bytes delivered to the destination. */
  readonly bytes: number;
  /** True when the client hashed the whole blob and it matched the digest. */
  readonly verified: boolean;
}

type Sink = (chunk: Uint8Array) => Promise<void>;

export async function downloadBlob(
  connection: Connection,
  policy: RetryPolicy,
  digest: string,
  destination: DownloadDestination,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const hex = parseDigest(digest);
  const offset = options.offset ?? 0;
  if (offset !== 0 && typeof destination === 'string') {
    throw new CairnError(
      Code.InvalidArgument,
      'an offset needs a stream destination; a file download always fetches and verifies the whole blob',
    );
  }
  const { size } = await describeBlob(connection, policy, digest, options.signal);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new CairnError(Code.OutOfRange, `offset ${offset} is outside ${digest} (${size} bytes)`);
  }
  const blob = { digest, hex, size };
  if (typeof destination === 'string') return downloadToFile(connection, policy, blob, destination, options);
  const actual = await receive(
    connection,
    policy,
    blob,
    offset,
    (chunk) => writeTo(destination, chunk),
    options,
  );
  if (offset === 0 && actual !== hex) {
    throw mismatch(digest, actual, 'discard what was written to the output');
  }
  return { digest, size, bytes: size - offset, verified: offset === 0 };
}

interface BlobRef {
  readonly digest: string;
  readonly hex: string;
  readonly size: number;
}

async function downloadToFile(
  connection: Connection,
  policy: RetryPolicy,
  blob: BlobRef,
  destination: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const target = resolve(destination);
  const partial = join(
    dirname(target),
    `.${basename(target)}.${randomBytes(6).toString('hex')}.cairn-partial`,
  );
  let handle: FileHandle | undefined;
  try {
    handle = await openForWriting(partial, destination);
    const file = handle;
    const actual = await receive(connection, policy, blob, 0, (chunk) => writeAll(file, chunk), options);
    if (actual !== blob.hex) throw mismatch(blob.digest, actual, `nothing was saved to ${destination}`);
    await file.sync();
    await file.close();
    handle = undefined;
    await rename(partial, target);
    return { digest: blob.digest, size: blob.size, bytes: blob.size, verified: true };
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(partial, { force: true });
    throw error;
  }
}

/**
 * Streams the blob from `offset` into `sink`, hashing as it goes; a broken stream resumes at the bytes
 * already delivered, so the hash runs over every byte exactly once. Returns the hex sha256.
 */
async function receive(
  connection: Connection,
  policy: RetryPolicy,
  blob: BlobRef,
  offset: number,
  sink: Sink,
  options: DownloadOptions,
): Promise<string> {
  const { signal, onProgress } = options;
  const hash = createHash('sha256');
  const resourceName = downloadResourceName(blob.hex, blob.size);
  let received = offset;
  await withRetries(
    connection.peer,
    policy,
    signal,
    async ({ number: attempt, previousError }) => {
      signal?.throwIfAborted();
      if (attempt > 1)
        options.onRetry?.({
          attempt,
          error: fromGrpcError(previousError, connection.peer),
          offset: received,
        });
      if (received === blob.size) return;
      // A retry reads on from the bytes already delivered, so the hash runs over each byte once.
      const stream = await connection.serverStream(
        byteStream.read,
        create(ReadRequestSchema, { resourceName, readOffset: BigInt(received) }),
      );
      const cancel = () => stream.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        for await (const { data } of stream as AsyncIterable<ReadResponse>) {
          if (received + data.length > blob.size) {
            throw new CairnError(
              Code.DataLoss,
              `the CAS sent more than the ${blob.size} bytes of ${blob.digest}; nothing was kept, report this to its operator`,
            );
          }
          hash.update(data);
          await sink(data);
          received += data.length;
          onProgress?.({ phase: 'downloading', bytes: received, total: blob.size });
        }
      } finally {
        signal?.removeEventListener('abort', cancel);
        stream.cancel();
      }
      if (received !== blob.size) {
        throw new CairnError(
          Code.DataLoss,
          `the CAS ended ${blob.digest} after ${received} of ${blob.size} bytes; try the download again`,
        );
      }
    },
    connection,
  );
  return hash.digest('hex');
}

async function openForWriting(path: string, shownAs: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o644);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason =
      code === 'ENOENT'
        ? 'its folder does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : String(code);
    throw new CairnError(
      Code.FailedPrecondition,
      `cannot write ${shownAs}: ${reason}; choose another --output`,
      {
        cause: error,
      },
    );
  }
}

async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.length) {
    const { bytesWritten } = await file.write(chunk, written, chunk.length - written);
    written += bytesWritten;
  }
}

async function writeTo(stream: Writable, chunk: Uint8Array): Promise<void> {
  if (stream.destroyed || stream.writableEnded) {
    throw new CairnError(Code.Aborted, 'the output was closed before the download finished');
  }
  if (!stream.write(chunk)) await once(stream, 'drain');
}

function mismatch(digest: string, actualHex: string, consequence: string): CairnError {
  return new CairnError(
    Code.DataLoss,
    `the downloaded bytes hash to ${formatDigest(actualHex)}, not ${digest}; ${consequence} and report this to the CAS operator`,
    { details: { reason: 'digest_mismatch' } },
  );
}
