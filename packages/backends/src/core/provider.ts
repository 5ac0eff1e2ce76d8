import type { BlobRef } from './digest.js';

export type ProviderKind = 'filesystem' | 'oci' | 'aws-s3' | 'azure-blob';

/** What a client may say about a blob besides its bytes. */
export interface BlobMeta {
  readonly fileName?: string;
  readonly mediaType?: string;
}

export interface BlobInfo extends BlobMeta {
  readonly hex: string;
  readonly size: number;
}

/** A byte range: `offset` inclusive, `length` bytes (to the end when absent). */
export interface ByteRange {
  readonly offset: number;
  readonly length?: number;
}

/**
 * A provider is a small factory, in the way a kysely dialect is: it validates untrusted configuration
 * and credentials, and builds a driver. It never hashes: `createBlobStore` wraps every driver in the
 * one verifying layer, so the rule of the data path is written once.
 */
export interface Provider<Credentials> {
  readonly kind: ProviderKind;
  /** Checks a backend location (bucket, registry/repository, directory...); INVALID_ARGUMENT if malformed. */
  parseLocation(location: string): string;
  /** Checks credentials of unknown shape; INVALID_ARGUMENT naming the bad field, never echoing a value. */
  parseCredentials(raw: unknown): Credentials;
  /**
   * Builds a driver. Asynchronous because a provider loads its SDK here, on first use, rather than when
   * it is imported: a CAS serving only filesystem backends never loads the cloud SDKs, and a smaller heap
   * is cheaper to mark on every full GC while blobs stream.
   */
  createDriver(config: DriverConfig<Credentials>): Promise<Driver>;
}

export interface DriverConfig<Credentials> {
  readonly location: string;
  readonly credentials: Credentials;
}

/**
 * The raw storage operations of one backend. A driver trusts its caller: bytes handed to a `StagedBlob`
 * are hashed by the caller, which calls `commit` only once they matched the digest.
 */
export interface Driver {
  /**
   * Starts storing a blob out of sight. Nothing may be visible under `blob.hex` before `commit()`.
   * Memory held by a staged blob stays bounded whatever the blob's size.
   */
  stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob>;
  /**
   * Raw bytes of a committed blob within `range`; NOT_FOUND when it is not stored. Every chunk must be a
   * fresh buffer the driver never touches again: the verifying layer holds the last one back while it
   * checks the digest. Chunks should stay bounded (about 1 MiB) so memory does too.
   */
  read(hex: string, range: ByteRange, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>>;
  /** Size and metadata of a committed blob, or undefined when it is not stored. */
  stat(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined>;
  /** Proves real write access (writes, reads back and removes a probe); throws a CairnError otherwise. */
  checkWriteAccess(signal: AbortSignal): Promise<void>;
  /** Releases connections and handles. */
  close(): Promise<void>;
}

export interface StagedBlob {
  /**
   * Appends bytes, in order. Resolves when the driver can take more (backpressure), which may be before
   * these bytes are stored: a driver may keep a bounded amount in flight, so the caller must never change
   * a chunk it handed over. A failed write may surface on a later `write` or on `commit`.
   */
  write(chunk: Uint8Array, signal: AbortSignal): Promise<void>;
  /** Makes the blob visible under its digest. Called at most once, after verification. */
  commit(signal: AbortSignal): Promise<void>;
  /**
   * Discards everything staged. Idempotent; safe after a failed write or commit, and while a write is in
   * flight. Takes no signal: it runs when the caller's signal has already fired, and must still clean up.
   */
  abort(): Promise<void>;
}
