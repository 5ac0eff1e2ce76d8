import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { BackendAccess } from './backend-access.js';

/**
 * BackendService.CheckWriteAccess: proves that this CAS can store blobs on the backend a token names, as
 * an upload would, before the control plane trusts the backend. The backend is resolved afresh (the
 * credentials may have been written a moment ago) under the same rules as uploads, and the provider's
 * probe (write, read back, remove) runs bounded by `timeoutMs`, the secret-store read included.
 */
export class CheckWriteAccess {
  constructor(
    private readonly access: BackendAccess,
    private readonly timeoutMs: number,
  ) {}

  async check(claims: CasClaims, signal: AbortSignal): Promise<{ elapsedMs: number }> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const bounded = AbortSignal.any([signal, timeout]);
    try {
      const store = await this.access.openFresh(claims, bounded);
      try {
        await store.checkWriteAccess(bounded);
      } finally {
        await store.close().catch(() => undefined);
      }
    } catch (error) {
      if (timeout.aborted && !signal.aborted) {
        throw new CairnError(
          Code.DeadlineExceeded,
          `the write check did not finish within ${formatSeconds(this.timeoutMs)}; check that the backend is reachable from the CAS's host`,
          { cause: error, details: { reason: 'write_check_timeout', backend_id: claims.backend.id } },
        );
      }
      throw error;
    }
    return { elapsedMs: Math.round(performance.now() - started) };
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
