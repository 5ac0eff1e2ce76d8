import { abortError, awaitUnlessAborted } from '@cairn/errors';
import { SECRET_STORE_ABORT_WORDING } from '../secret-store.js';

/** Raised when a call outlived its bound; the caller turns it into UNAVAILABLE. */
export class CallDeadlineElapsed extends Error {
  override readonly name = 'CallDeadlineElapsed';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/**
 * Settles with `start()`'s outcome, or rejects as soon as `signal` fires (with `abortError`) or
 * `timeoutMs` pass (with CallDeadlineElapsed). node-vault cannot cancel a request, so an abandoned one runs
 * on until its own HTTP timeout (set to the same bound) closes it; its outcome is ignored.
 */
export function boundedCall<T>(start: () => Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, SECRET_STORE_ABORT_WORDING));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallDeadlineElapsed(timeoutMs)), timeoutMs);
  });
  const answer = Promise.race([startSafely(start), deadline]);
  return awaitUnlessAborted(answer, signal, (fired) => abortError(fired, SECRET_STORE_ABORT_WORDING)).finally(
    () => clearTimeout(timer),
  );
}

function startSafely<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}
