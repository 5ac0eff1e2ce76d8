/**
 * Pulls from `source` ahead of its consumer, holding at most about `maxBytes`, so a slow step downstream
 * (a disk write, a part upload) overlaps with the transfer instead of stalling the socket. An HTTP request
 * buffers only 16 KiB by itself; gRPC streams don't need this (their 16 MiB windows already read ahead).
 * When the consumer stops early, the source is returned (for a request: destroyed), as a plain
 * `for await` would do.
 */
export async function* readAhead(
  source: AsyncIterable<Uint8Array>,
  maxBytes: number,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let finished = false;
  let stopped = false;
  let failure: { readonly error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const wakeUp = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    wakeUp?.();
  };

  const producing = (async () => {
    try {
      while (!stopped) {
        if (queuedBytes >= maxBytes) {
          await new Promise<void>((resolve) => {
            wakeProducer = resolve;
          });
          continue;
        }
        const next = await iterator.next();
        if (next.done) break;
        queue.push(next.value);
        queuedBytes += next.value.byteLength;
        wake('consumer');
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();

  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queuedBytes -= chunk.byteLength;
        wake('producer');
        yield chunk;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
    }
  } finally {
    stopped = true;
    wake('producer');
    if (!finished) await iterator.return?.();
    await producing;
  }
}
