import { CairnError, Code } from '@cairn/errors';

/** One running call: its cancellation and its end. */
export interface CallHandle {
  readonly signal: AbortSignal;
  /** Cancels the call (client went away, or the shutdown grace ran out). */
  abort(): void;
  /** The call ended; idempotent. */
  finish(): void;
}

/**
 * The calls and requests running now, across both transports, so a graceful shutdown can wait for them
 * and cancel what is left when the grace period ends.
 */
export class InFlight {
  readonly #running = new Set<AbortController>();
  #idle: (() => void)[] = [];

  get size(): number {
    return this.#running.size;
  }

  begin(): CallHandle {
    const controller = new AbortController();
    this.#running.add(controller);
    return {
      signal: controller.signal,
      abort: () => controller.abort(new CairnError(Code.Canceled, 'the call was canceled')),
      finish: () => {
        if (!this.#running.delete(controller)) return;
        if (this.#running.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
      },
    };
  }

  /** Resolves when no call runs, or after `timeoutMs`; returns whether everything finished. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.#running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true)));
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([idle, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cancels every running call (the end of the shutdown grace). */
  cancelAll(): void {
    for (const controller of this.#running) {
      controller.abort(
        new CairnError(Code.Unavailable, 'the CAS is shutting down; retry against another replica'),
      );
    }
  }
}
