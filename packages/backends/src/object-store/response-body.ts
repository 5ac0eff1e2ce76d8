import { CairnError, Code } from '@cairn/errors';
import { abortReason } from './abort.js';

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
    if (signal.aborted) throw abortReason(signal);
    for await (const chunk of body) {
      yield chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
    }
  } catch (error) {
    if (signal.aborted) throw abortReason(signal);
    throw mapError(error);
  } finally {
    signal.removeEventListener('abort', onAbort);
    stream.destroy?.();
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
