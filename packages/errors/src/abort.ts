import { CairnError, isAbortError } from './cairn-error.js';
import { Code } from './code.js';

/**
 * How a caller words the end of its operation when a signal fires, e.g. `{ canceled: 'the secret store
 * call was canceled', timedOut: 'the secret store call ran out of time; retry with a longer deadline' }`.
 * Each caller passes its own, so a message names what was stopped in that caller's terms.
 */
export interface AbortWording {
  /** The message of CANCELED, when the signal was aborted by someone. */
  readonly canceled: string;
  /** The message of DEADLINE_EXCEEDED, when the signal came from `AbortSignal.timeout`. */
  readonly timedOut: string;
}

/**
 * The CairnError that ends an operation whose signal fired: the signal's own reason when that is a
 * CairnError (the caller already said why), DEADLINE_EXCEEDED for a timeout, CANCELED otherwise.
 */
export function abortError(signal: AbortSignal, wording: AbortWording): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new CairnError(Code.DeadlineExceeded, wording.timedOut, { cause: reason });
  }
  return new CairnError(Code.Canceled, wording.canceled, { cause: reason });
}

export function throwIfAborted(signal: AbortSignal, wording: AbortWording): void {
  if (signal.aborted) throw abortError(signal, wording);
}

/** True when `error` is (or stems from) `signal` having fired, so the caller reports `abortError` instead. */
export function isAbortOf(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (error === signal.reason || isAbortError(error));
}

/**
 * Waits for `work`, but stops waiting as soon as `signal` fires, rejecting with `reasonOf(signal)` (the
 * signal's reason unless told otherwise). The work itself goes on: it may be shared with other callers,
 * or be something that must not be cut short; whoever started it still sees how it ends.
 */
export function awaitUnlessAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  reasonOf: (signal: AbortSignal) => unknown = (fired) => fired.reason,
): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(reasonOf(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Iterates `source` but gives up as soon as `signal` fires (with `abortError`), even while the source is
 * stalled waiting for a slow or silent client. A listener per pull (instead of one Promise.race against a
 * shared promise) keeps memory flat however many chunks go through.
 */
export async function* abortable<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
  wording: AbortWording,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const stopped = (fired: AbortSignal) => abortError(fired, wording);
  let finished = false;
  try {
    while (true) {
      throwIfAborted(signal, wording);
      const next = await awaitUnlessAborted(iterator.next(), signal, stopped);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // A stalled source may never settle; ask it to stop without waiting for it.
    if (!finished) iterator.return?.()?.catch(() => undefined);
  }
}
