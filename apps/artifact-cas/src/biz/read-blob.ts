import type { BlobInfo, BlobRef } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { BackendAccess } from './backend-access.js';

/** A range request in domain terms: `offset` inclusive; `length` absent means to the end. */
export interface ReadRange {
  readonly offset: number;
  readonly length?: number;
}

export interface BlobRead {
  readonly info: BlobInfo;
  readonly offset: number;
  readonly length: number;
  /** Verified bytes; the stream fails before its last chunk if the stored blob is corrupt. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Releases the backend; call it once the body is consumed or abandoned. Idempotent. */
  release(): void;
}

/** Reads of stored blobs; every byte goes through the BlobStore's verification. */
export class ReadBlob {
  constructor(private readonly access: BackendAccess) {}

  /** Size and metadata of a stored blob, or NOT_FOUND. */
  async stat(claims: CasClaims, hex: string, signal: AbortSignal): Promise<BlobInfo> {
    const backend = await this.access.open(claims, signal);
    try {
      const info = await backend.value.describe(hex, signal);
      if (!info) throw notFound(hex);
      return info;
    } finally {
      backend.release();
    }
  }

  /**
   * Opens `range` of a blob. `expected` (from a ByteStream name) must match the stored size. An offset
   * equal to the size reads nothing (ByteStream allows it); past the end is OUT_OF_RANGE.
   */
  async open(
    claims: CasClaims,
    blob: { readonly hex: string; readonly size?: number },
    range: ReadRange,
    signal: AbortSignal,
  ): Promise<BlobRead> {
    const backend = await this.access.open(claims, signal);
    let handedOver = false;
    try {
      const info = await backend.value.describe(blob.hex, signal);
      if (!info) throw notFound(blob.hex);
      if (blob.size !== undefined && blob.size !== info.size) throw sizeMismatch(blob as BlobRef, info.size);
      const download =
        range.offset === info.size
          ? { info, offset: range.offset, length: 0, body: empty() }
          : await backend.value.download(blob.hex, range, signal);
      handedOver = true;
      return { ...download, release: () => backend.release() };
    } finally {
      if (!handedOver) backend.release();
    }
  }
}

async function* empty(): AsyncGenerator<Uint8Array> {}

export function notFound(hex: string): CairnError {
  return new CairnError(
    Code.NotFound,
    `blob sha256:${hex} is not stored in this backend; check the digest, or upload the blob first`,
    { details: { reason: 'blob_not_found' } },
  );
}

function sizeMismatch(blob: BlobRef, actual: number): CairnError {
  return new CairnError(
    Code.InvalidArgument,
    `blob sha256:${blob.hex} has ${actual} bytes, not the ${blob.size} the resource name declares; ask for blobs/${blob.hex}/${actual}`,
    { details: { reason: 'size_mismatch' } },
  );
}
