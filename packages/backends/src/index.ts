export {
  type BlobStore,
  BlobUpload,
  createBlobStore,
  type Download,
  type UploadState,
} from './core/blob-store.js';
export { type BlobRef, formatDigest, isSha256Hex, parseDigest } from './core/digest.js';
export type {
  BlobInfo,
  BlobMeta,
  ByteRange,
  Driver,
  DriverConfig,
  Provider,
  ProviderKind,
  StagedBlob,
} from './core/provider.js';
export {
  DEFAULT_STAGING_MAX_AGE_MS,
  type FilesystemCredentials,
  FilesystemDriver,
  type FilesystemProvider,
  filesystemProvider,
  parseFilesystemLocation,
} from './filesystem/index.js';
export { type AnyProvider, isProviderKind, providerFor, providers } from './registry.js';
