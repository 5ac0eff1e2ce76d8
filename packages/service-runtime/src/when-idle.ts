import type { InFlight } from './in-flight.js';

/**
 * Runs `onIdle` once per quiet spell: when no call has run for at least `idleMs` (at most twice that after
 * the last call ended), and not again until calls have come and gone. For work that would stall calls if
 * done while they run, such as giving free memory back to the kernel. Returns the stop function.
 */
export function whenIdle(inFlight: InFlight, idleMs: number, onIdle: () => void): () => void {
  let seen = { begun: inFlight.begun, quiet: false };
  let ranAfter = inFlight.begun;
  const timer = setInterval(() => {
    const now = { begun: inFlight.begun, quiet: inFlight.size === 0 };
    // Quiet at both readings, none begun in between: nothing ran for a whole period.
    const idle = seen.quiet && now.quiet && now.begun === seen.begun;
    seen = now;
    if (!idle || now.begun === ranAfter) return;
    ranAfter = now.begun;
    onIdle();
  }, idleMs);
  timer.unref();
  return () => clearInterval(timer);
}
