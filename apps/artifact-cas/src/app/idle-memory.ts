import { openFreeMemoryRelease } from '@cairn/malloc-tunables';
import type { Logger } from '@cairn/observability';
import { type InFlight, whenIdle } from '@cairn/service-runtime';

const MiB = 1024 * 1024;
// V8 frees the backing stores of collected Buffers on a background thread after gc() returns; a release
// at once found 133–305 of 305 freed MiB in ten runs, one 200 ms later 305 every time (release-fixture.ts).
const BACKGROUND_FREE_MS = 200;

/**
 * Gives the heap's free memory back to the kernel whenever the CAS has been idle `idleMs` (0: never), so
 * its RSS falls back after a burst instead of staying at the busiest moment's buffers (see
 * @cairn/malloc-tunables). Done only when idle: a release walks the heap under its lock (27 ms for 300 MiB
 * on the 2-core VM), which running streams would wait for. Returns the stop function.
 */
export async function releaseMemoryWhenIdle(
  idleMs: number,
  inFlight: InFlight,
  logger: Logger,
): Promise<() => void> {
  if (idleMs === 0) return () => undefined;
  const opened = await openFreeMemoryRelease();
  if ('unavailable' in opened) {
    logger.info('free memory stays with the CAS after a burst', { reason: opened.unavailable });
    return () => undefined;
  }
  return whenIdle(inFlight, idleMs, () => {
    const before = process.memoryUsage.rss();
    // The buffers of the calls that just ended are garbage until V8 collects them (node-flags.ts).
    globalThis.gc?.();
    setTimeout(() => {
      if (inFlight.size > 0) return; // a call began meanwhile; the next quiet spell releases
      const startedAt = performance.now();
      opened.release();
      logger.debug('gave free memory back to the kernel', {
        rssMiBBefore: Math.round(before / MiB),
        rssMiBAfter: Math.round(process.memoryUsage.rss() / MiB),
        releaseMs: Math.round(performance.now() - startedAt),
      });
    }, BACKGROUND_FREE_MS).unref();
  });
}
