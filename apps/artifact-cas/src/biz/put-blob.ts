import type { BlobMeta, BlobRef } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { type BackendAccess, checkUploadSize } from './backend-access.js';

/** A whole-blob upload in one request (HTTP PUT): no resume, same verification. */
export class PutBlob {
  constructor(private readonly access: BackendAccess) {}

  /**
   * Checks the declared size and whether the blob is stored already before `open()` is called to
   * start the body, so an existing or oversize blob costs no transfer.
   */
  async put(
    claims: CasClaims,
    blob: BlobRef,
    meta: BlobMeta,
    open: () => AsyncIterable<Uint8Array>,
    signal: AbortSignal,
  ): Promise<{ existed: boolean }> {
    checkUploadSize(claims, blob.size);
    const backend = await this.access.open(claims, signal);
    try {
      if (await backend.value.exists(blob.hex, signal)) return { existed: true };
      return await backend.value.upload(open(), blob, signal, meta);
    } finally {
      backend.release();
    }
  }
}
