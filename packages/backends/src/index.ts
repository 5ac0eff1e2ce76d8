export { type BlobStore, BlobUpload, createBlobStore, type Download } from './core/blob-store.js';
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
