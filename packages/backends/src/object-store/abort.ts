import { CairnError, Code } from '@cairn/errors';

/** The CairnError for an operation whose signal fired: its own CairnError reason, a deadline, or a cancel. */
export function abortReason(signal: AbortSignal): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new CairnError(Code.DeadlineExceeded, 'the storage operation ran out of time; retry', {
      cause: reason,
    });
  }
  return new CairnError(Code.Canceled, 'the storage operation was canceled', { cause: reason });
}

/** How long a cleanup (abort of a staged upload, removal of a probe) may take; it runs without a caller's signal. */
export const CLEANUP_TIMEOUT_MS = 30_000;
