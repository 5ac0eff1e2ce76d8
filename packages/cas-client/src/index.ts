// parseDigest and formatDigest live in @cairn/digest; re-exported so the CLI's imports stay as they are.
export { formatDigest, parseDigest } from '@cairn/digest';
export { CHUNK_SIZE, defaultChannelOptions } from './channel.js';
export { type CasClient, type CasClientOptions, createCasClient } from './client.js';
export type { TokenSource } from './connection.js';
export type { DownloadDestination, DownloadOptions, DownloadResult } from './download.js';
export { digestFile, type FileDigest } from './file-digest.js';
export type { Progress, ProgressListener } from './progress.js';
export type { BlobDescription } from './resources.js';
export { defaultRetryPolicy, type RetryEvent, type RetryPolicy } from './retry.js';
export { isTransient } from './transient.js';
export type { StreamSource, UploadOptions, UploadResult, UploadSource } from './upload.js';
