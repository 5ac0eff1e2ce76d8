import { CairnError, Code } from '@cairn/errors';

/** The CairnError that ends an operation whose signal fired: the caller's own CairnError, a deadline, or a cancel. */
export function abortError(signal: AbortSignal): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new CairnError(
      Code.DeadlineExceeded,
      'the operation ran out of time; retry with a longer deadline',
      {
        cause: reason,
      },
    );
  }
  return new CairnError(Code.Canceled, 'the operation was canceled', { cause: reason });
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}

/**
 * Iterates `source` but gives up as soon as `signal` fires, even while the source is stalled waiting for
 * a slow or silent client. A listener per pull (instead of one Promise.race against a shared promise)
 * keeps memory flat however many chunks go through.
 */
export async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (true) {
      throwIfAborted(signal);
      const next = await nextOrAbort(iterator, signal);
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

function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    iterator.next().then(
      (result) => {
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
