// Re-exported so the apps that took digests from here keep their imports.
export { formatDigest, isSha256Hex, parseDigest } from '@cairn/digest';
export {
  type BlobStore,
  BlobUpload,
  createBlobStore,
  type Download,
  type UploadState,
} from './core/blob-store.js';
export type {
  BlobInfo,
  BlobMeta,
  BlobRef,
  ByteRange,
  Driver,
  DriverConfig,
  HashCheckpoints,
  Provider,
  ProviderKind,
  ResumableStaging,
  ResumedStage,
  StagedBlob,
  StagedHash,
  SuspendableStagedBlob,
  SweepReport,
} from './core/provider.js';
export { isSuspendable, SWEEP_LIMIT } from './core/provider.js';
export {
  type FilesystemCredentials,
  FilesystemDriver,
  type FilesystemProvider,
  filesystemProvider,
  parseFilesystemLocation,
} from './filesystem/index.js';
export { type AnyProvider, isProviderKind, providerFor, providers } from './registry.js';
