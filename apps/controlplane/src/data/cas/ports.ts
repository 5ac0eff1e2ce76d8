// What the control plane asks of the artifact CAS, as the biz layer sees it; implemented over gRPC by the
// other modules of this folder. Declared here, below biz, so biz depends on data and never the reverse.

/** The CAS's ResourceService.Describe, to confirm a blob a client says it uploaded. */
export interface CasResourceReader {
  /** The blob's size as the CAS reports it, or undefined if the CAS does not hold it. */
  describe(digest: string, token: string, signal: AbortSignal): Promise<{ size: number } | undefined>;
}

/** The CAS's BackendService.CheckWriteAccess: a backend is valid where the bytes flow. */
export interface CasBackendChecker {
  /** Resolves when the CAS's probe passed; otherwise throws a CairnError saying what failed. */
  checkWriteAccess(token: string, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** Whole-blob transfers of attestation bundles. */
export interface CasBlobTransfer {
  /** Stores `bytes` under `digest`; an existing blob counts as stored. */
  upload(blob: { digest: string; bytes: Uint8Array }, token: string, signal: AbortSignal): Promise<void>;
  /** Reads a whole blob of known size; the transfer itself may verify it, the caller checks again. */
  download(blob: { digest: string; size: number }, token: string, signal: AbortSignal): Promise<Uint8Array>;
}
