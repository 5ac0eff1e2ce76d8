import type { ResumableSha256 } from './resumable-sha256.js';

/** A blob's identity: its sha256 (64 lower-case hex characters) and its size in bytes. */
export interface BlobRef {
  readonly hex: string;
  readonly size: number;
}

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
  /**
   * A folder on this host where a driver whose server cannot list its own leftovers (an OCI registry has
   * no listing of upload sessions) notes each upload while it is open, so `sweepLeftovers` — in this
   * process or the next one after a crash — can find and remove what a crash left. Absent: no notes, and
   * such leftovers wait for the server's own expiry.
   */
  readonly journalDir?: string;
}

/** What one sweep of a backend's leftovers did. */
export interface SweepReport {
  /** Leftovers removed: staging files, multipart uploads, uncommitted blobs, upload sessions, probes. */
  readonly removed: number;
  /**
   * Leftovers old enough that this sweep found but could not remove (a failed request, or a registry
   * upload session no client can address any more); a later sweep or the server's own expiry takes them.
   */
  readonly left: number;
}

/** Most leftovers one sweep removes; the rest wait for the next sweep, so one sweep stays bounded. */
export const SWEEP_LIMIT = 1000;

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
  /**
   * Removes what uploads that never finished left on the server — a crashed process's staging files,
   * multipart uploads, uncommitted blocks, upload sessions, write probes — once untouched for at least
   * `olderThanMs`, so an upload still live in another process (another replica) is never touched. Only
   * names this driver creates are considered, and at most `SWEEP_LIMIT` are removed per call. Optional:
   * a driver that leaves nothing behind has nothing to sweep.
   */
  sweepLeftovers?(olderThanMs: number, signal: AbortSignal): Promise<SweepReport>;
  /**
   * Uploads any process can continue, present when the driver stages where every replica sees it and
   * can pick the upload up there: a filesystem backend's staging folder, whose bytes it reads back to be
   * hashed again; or a cloud backend's multipart upload or uncommitted blocks, or a registry's upload
   * session, which cannot be read, with a checkpoint beside them (the parts stored so far, or the session's
   * newest Location, and the hash state after them, `HashCheckpoints`).
   */
  readonly resumable?: ResumableStaging;
  /** Releases connections and handles. */
  close(): Promise<void>;
}

/** Staging kept under a key the caller picks (its upload's name), so another process can pick it up. */
export interface ResumableStaging {
  /**
   * Starts staging `blob` under `key`, or picks up what is staged under it already — by this process or
   * another, alive or dead: `staged` appends after the `size` bytes held. ABORTED (`upload_busy`) where
   * the driver can tell that another open of it writes.
   */
  open(blob: BlobRef, meta: BlobMeta, key: string, signal: AbortSignal): Promise<ResumedStage>;
  /** Bytes staged under `key` that an `open` continues after, or undefined when nothing is. */
  size(blob: BlobRef, key: string, signal: AbortSignal): Promise<number | undefined>;
}

/** How the caller learns the hash of the bytes staged before it came. */
export type StagedHash =
  /** The bytes themselves, read once before any write, to hash again. */
  | { readonly stagedBytes: (signal: AbortSignal) => AsyncIterable<Uint8Array> }
  /** A hash that holds the state after them (a checkpoint's), or a fresh one for a new upload. */
  | { readonly hash: ResumableSha256 };

export interface ResumedStage {
  readonly staged: StagedBlob;
  /** Bytes already staged: 0 for a new upload. */
  readonly size: number;
  /** Absent only for a new upload whose staged blob does not checkpoint. */
  readonly before?: StagedHash;
}

export interface SuspendableStagedBlob extends StagedBlob {
  /** Stores what it can and lets go, keeping everything stored for the next `open` of its key. */
  suspend(): Promise<void>;
  /**
   * True when a suspend gives up bytes taken since the last checkpoint (a part being filled, parts the
   * server refused): the process then keeps the upload while its client may come back, and suspends it
   * only when it lets go of it (resume window over, shutdown).
   */
  readonly suspendLoses?: boolean;
}

export function isSuspendable(staged: StagedBlob): staged is SuspendableStagedBlob {
  return 'suspend' in staged;
}

/**
 * Asked of the caller by a staged blob that checkpoints: the hash state at every multiple of `every`
 * bytes, which the driver saves with the parts holding those bytes once they are stored. The caller
 * hashes with the `ResumableSha256` the driver gave it (`ResumedStage.before`).
 */
export interface HashCheckpoints {
  readonly every: number;
  hashStateAt(offset: number, state: Uint8Array): void;
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
  /**
   * After a `write` or `commit` failed because the storage server could not be reached: keeps what the
   * server did not store so that the next `write` or `commit` sends it again, and answers true; false
   * when this upload cannot go on (the caller aborts it then). Drivers without it are aborted on any
   * failure. A `write` of such a driver takes a whole chunk or, when it throws, none of it.
   */
  retryFailed?(): boolean;
  /** Present when the driver checkpoints the upload for other processes (see `HashCheckpoints`). */
  readonly checkpoints?: HashCheckpoints;
}
