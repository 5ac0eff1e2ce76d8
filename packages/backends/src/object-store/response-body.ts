import { abortError, CairnError, Code, isAbortError } from '@cairn/errors';
import { STORAGE_ABORT_WORDING } from '../core/cancellation.js';

interface DestroyableStream {
  destroy?(error?: Error): unknown;
}

/**
 * Streams an HTTP response body, ending it when `signal` fires (an SDK's own abort handling may stop at
 * the response headers) and mapping errors mid-stream through `mapError`. Leaving the loop early
 * destroys the body so the connection is released.
 */
export async function* streamBody(
  body: unknown,
  signal: AbortSignal,
  mapError: (error: unknown) => CairnError,
): AsyncGenerator<Uint8Array> {
  if (!isAsyncIterable(body)) {
    throw new CairnError(Code.Internal, 'the storage server returned a response without a readable body');
  }
  const stream = body as DestroyableStream;
  const onAbort = () => stream.destroy?.(new CairnError(Code.Canceled, 'the read was canceled'));
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal.aborted) throw abortError(signal, STORAGE_ABORT_WORDING);
    for await (const chunk of body) {
      yield chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
    }
  } catch (error) {
    if (signal.aborted) throw abortError(signal, STORAGE_ABORT_WORDING);
    // Nobody canceled the read: a body that reports an abort (the Azure SDK's "The operation was
    // aborted.") lost its connection mid-response, which is the server's failure, not the caller's cancel.
    throw mapError(isAbortError(error) ? connectionDropped(error) : error);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy?.();
  }
}

/** A dropped connection as the providers' network-error checks know it (ECONNRESET), keeping the original. */
function connectionDropped(cause: unknown): Error {
  return Object.assign(new Error('the connection was dropped in the middle of the response', { cause }), {
    code: 'ECONNRESET',
  });
}

/** The body of a zero-length read, which needs no request. */
export async function* emptyBody(): AsyncGenerator<Uint8Array> {}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
