/**
 * Tracks the highest resident set size of this process from now on, sampled on a timer and whenever
 * `sample()` is called (a busy stream may starve the timer). A memory bound, not a speed measure.
 */
export class RssPeak {
  readonly start = process.memoryUsage.rss();
  #peak = this.start;
  readonly #timer = setInterval(() => this.sample(), 10);

  constructor() {
    this.#timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peak) this.#peak = rss;
  }

  /** Stops sampling; returns how far RSS rose above where it started. */
  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.#peak - this.start;
  }
}
