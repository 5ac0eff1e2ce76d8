/**
 * Runs a checkpoint's saves one at a time, at most once per `intervalMs` unless asked to save now. `save`
 * writes whatever is newest when it runs and answers whether it wrote anything; asks made while a save
 * waits or runs are folded into one. Used by the cloud and registry upload checkpoints alike.
 */
export class ThrottledSaves {
  #saving: Promise<void> = Promise.resolve();
  #queued = false;
  #stopped = false;
  #lastSaveAt = Number.NEGATIVE_INFINITY;
  #later: NodeJS.Timeout | undefined;

  constructor(
    private readonly save: () => Promise<boolean>,
    private readonly intervalMs: number,
  ) {}

  /** Asks for a save: soon, or now whenever the last one was. Ignored once stopped. */
  request(now = false): void {
    if (this.#stopped) return;
    const wait = this.#lastSaveAt + this.intervalMs - performance.now();
    if (!now && wait > 0) {
      this.#later ??= setTimeout(() => {
        this.#later = undefined;
        this.request();
      }, wait).unref();
      return;
    }
    clearTimeout(this.#later);
    this.#later = undefined;
    if (this.#queued) return;
    this.#queued = true;
    this.#saving = this.#saving.then(async () => {
      this.#queued = false;
      if (this.#stopped) return;
      // Counted from the start, so asks made while it runs wait for the interval too; undone if it
      // found nothing to write.
      const before = this.#lastSaveAt;
      this.#lastSaveAt = performance.now();
      if (!(await this.save().catch(() => false))) this.#lastSaveAt = before;
    });
  }

  /** Saves now and waits for every save asked for so far. */
  async flush(): Promise<void> {
    this.request(true);
    await this.#saving;
  }

  /**
   * Stops saving and waits for the save under way, which is let finish rather than cancelled: a cancelled
   * write may still reach the server after whatever the caller does next (a delete) and undo it.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#later);
    this.#later = undefined;
    await this.#saving;
  }
}
