import { performance } from 'node:perf_hooks';
import { CairnError } from '@cairn/errors';

/**
 * Waits at most `withinMs` for `work` to fail, and returns its error with how long it took from `since`
 * (a `performance.now()`). Succeeding, failing with something other than a CairnError, or hanging are
 * each reported as what they are, so a test fails with the reason rather than at its own timeout.
 */
export async function failureOf(
  work: Promise<unknown>,
  withinMs: number,
  since: number = performance.now(),
): Promise<{ error: CairnError; afterMs: number }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), withinMs);
  });
  try {
    const outcome = await Promise.race([
      work.then(
        () => ({ ok: true as const }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
      hang,
    ]);
    if (outcome === 'hang') throw new Error(`no answer within ${withinMs} ms: the call hangs`);
    if (outcome.ok) throw new Error('the call succeeded, but it was expected to fail');
    if (!(outcome.error instanceof CairnError)) {
      throw new Error(`the call failed with a ${String(outcome.error)}, not a CairnError`, {
        cause: outcome.error,
      });
    }
    return { error: outcome.error, afterMs: Math.round(performance.now() - since) };
  } finally {
    clearTimeout(timer);
  }
}

/** `work`'s value, or an error saying it did not settle within `withinMs`. */
export async function within<T>(work: Promise<T>, withinMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${withinMs} ms`)), withinMs);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}
