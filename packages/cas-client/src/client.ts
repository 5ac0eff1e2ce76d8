import type { ChannelOptions } from '@grpc/grpc-js';
import { Connection, type TokenSource } from './connection.js';
import {
  type DownloadDestination,
  type DownloadOptions,
  type DownloadResult,
  downloadBlob,
} from './download.js';
import { type BlobDescription, describeBlob, findMissingBlobs } from './resources.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry.js';
import { type UploadOptions, type UploadResult, type UploadSource, uploadBlob } from './upload.js';

export interface CasClientOptions {
  /** `host:port` of the CAS's gRPC endpoint (or `grpcs://host:port` for TLS). */
  readonly address: string;
  /** A CAS token, or a function called before every call so short-lived tokens can be re-minted. */
  readonly token: TokenSource;
  /** Added to (and overriding) the client's tuned defaults. */
  readonly channelOptions?: ChannelOptions;
  readonly retry?: Partial<RetryPolicy>;
}

export interface CasClient {
  /** Uploads a file (hashed first) or a stream of known digest and size; skips blobs the CAS has. */
  upload(source: UploadSource, options?: UploadOptions): Promise<UploadResult>;
  /** Downloads and verifies a blob; a path destination appears only once the digest matched. */
  download(
    digest: string,
    destination: DownloadDestination,
    options?: DownloadOptions,
  ): Promise<DownloadResult>;
  describe(digest: string, options?: { signal?: AbortSignal }): Promise<BlobDescription>;
  findMissing(digests: readonly string[], options?: { signal?: AbortSignal }): Promise<string[]>;
  /** Closes the channel; calls in flight are canceled. */
  close(): void;
}

export function createCasClient(options: CasClientOptions): CasClient {
  const connection = new Connection(options.address, options.token, options.channelOptions);
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  return {
    upload: (source, uploadOptions) => uploadBlob(connection, policy, source, uploadOptions),
    download: (digest, destination, downloadOptions) =>
      downloadBlob(connection, policy, digest, destination, downloadOptions),
    describe: (digest, callOptions) => describeBlob(connection, policy, digest, callOptions?.signal),
    findMissing: (digests, callOptions) => findMissingBlobs(connection, policy, digests, callOptions?.signal),
    close: () => connection.close(),
  };
}
