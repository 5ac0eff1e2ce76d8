import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, Code } from '@cairn/errors';
import type { CasBackend, CasBlobTransfer } from '../data/index.js';
import { sha256Digest } from './attestation-bundle.js';
import { CONTROL_PLANE_SUBJECT } from './blob-mapping.js';
import type { CasCredentials } from './cas-credentials.js';

export interface CasRetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_CAS_RETRY: CasRetryPolicy = { attempts: 5, initialDelayMs: 250, maxDelayMs: 5_000 };

/** Failures that may pass: the CAS (or the way to it) is down or restarting. */
function isRetryable(error: unknown): boolean {
  const { code } = CairnError.from(error);
  return code === Code.Unavailable || code === Code.Aborted;
}

/**
 * Attestation bundles in the CAS: uploads retried with backoff while the CAS is UNAVAILABLE, within a
 * deadline; downloads checked against the digest. Tokens are minted per attempt for the control plane
 * itself, so a retry never runs on an expired one.
 */
export class CasBundleStore {
  constructor(
    private readonly credentials: CasCredentials,
    private readonly transfer: CasBlobTransfer,
    private readonly retry: CasRetryPolicy = DEFAULT_CAS_RETRY,
  ) {}

  /**
   * Uploads a bundle to `backend` through the CAS. Gives up with DEADLINE_EXCEEDED after `timeoutMs`, or
   * with the last error once the attempts are used up or the error is not worth another attempt.
   */
  async upload(
    backend: CasBackend,
    bundle: { digest: string; bytes: Uint8Array },
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const bounded = AbortSignal.any([signal, deadline]);
    const holder = { orgId: backend.orgId, subject: CONTROL_PLANE_SUBJECT };
    for (let attempt = 1; ; attempt++) {
      try {
        const { token } = await this.credentials.issueFor(holder, 'upload', { backend, isFallback: false });
        await this.transfer.upload(bundle, token, bounded);
        return;
      } catch (error) {
        signal.throwIfAborted();
        if (deadline.aborted) {
          throw new CairnError(
            Code.DeadlineExceeded,
            `the CAS did not store the bundle on backend "${backend.name}" within ${duration(timeoutMs)}; check that the CAS is reachable, then try again`,
            { cause: error },
          );
        }
        if (!isRetryable(error) || attempt >= this.retry.attempts) {
          const failure = CairnError.from(error, Code.Unavailable, 'the CAS upload failed unexpectedly');
          throw new CairnError(
            failure.code,
            `the CAS did not store the bundle on backend "${backend.name}" (attempt ${attempt}): ${failure.message}`,
            { cause: error, details: failure.details },
          );
        }
        await sleep(this.#delay(attempt), undefined, { signal: bounded }).catch(() => undefined);
      }
    }
  }

  /** Downloads a bundle from `backend` and checks its digest before anyone sees a byte. */
  async download(
    backend: CasBackend,
    bundle: { digest: string; size: number },
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const holder = { orgId: backend.orgId, subject: CONTROL_PLANE_SUBJECT };
    const { token } = await this.credentials.issueFor(
      holder,
      'download',
      { backend, isFallback: false },
      bundle.digest,
    );
    const bytes = await this.transfer.download(bundle, token, signal);
    if (bytes.byteLength !== bundle.size || sha256Digest(bytes) !== bundle.digest) {
      throw new CairnError(
        Code.DataLoss,
        `the CAS returned bytes for ${bundle.digest} on backend "${backend.name}" that do not match it; report this to the CAS operator`,
        { details: { reason: 'digest_mismatch' } },
      );
    }
    return bytes;
  }

  #delay(failedAttempts: number): number {
    const { initialDelayMs, maxDelayMs } = this.retry;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** (failedAttempts - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}

function duration(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 1_000)} s`;
}
