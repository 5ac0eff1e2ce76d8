import { CairnError, Code, isAbortError } from '@cairn/errors';

/** The error a secret-store call ends with once `signal` fired: CANCELED, or DEADLINE_EXCEEDED for a timeout. */
export function abortedError(signal: AbortSignal): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new CairnError(
      Code.DeadlineExceeded,
      'the secret store call ran out of time; retry with a longer deadline',
      {
        cause: reason,
      },
    );
  }
  return new CairnError(Code.Canceled, 'the secret store call was canceled', { cause: reason });
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortedError(signal);
}

/** True when `error` is (or stems from) `signal` having fired, so callers report it as `abortedError`. */
export function isAbortOf(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (error === signal.reason || isAbortError(error));
}
