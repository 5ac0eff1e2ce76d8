import { abortedError } from '../abort.js';

/** Raised when a call outlived its bound; the caller turns it into UNAVAILABLE. */
export class CallDeadlineElapsed extends Error {
  override readonly name = 'CallDeadlineElapsed';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/**
 * Settles with `start()`'s outcome, or rejects as soon as `signal` fires (with `abortedError`) or
 * `timeoutMs` pass (with CallDeadlineElapsed). node-vault cannot cancel a request, so an abandoned one runs
 * on until its own HTTP timeout (set to the same bound) closes it; its outcome is ignored.
 */
export function boundedCall<T>(start: () => Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = (): void => finish(() => reject(abortedError(signal)));
    const timer = setTimeout(() => finish(() => reject(new CallDeadlineElapsed(timeoutMs))), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    startSafely(start).then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

function startSafely<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}
