import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLEANUP_TIMEOUT_MS } from '../core/cancellation.js';
import { suspendToCheckpoint } from './checkpointed-staging.js';

describe('suspendToCheckpoint', () => {
  afterEach(() => vi.useRealTimers());

  function parts(drained: Promise<void>) {
    const steps: string[] = [];
    const pipeline = {
      drain: () => drained.then(() => void steps.push('drained')),
      cancel: async () => void steps.push('cancelled'),
    };
    const log = { flush: async () => void steps.push('flushed'), savedOffset: 8 };
    const abort = async () => void steps.push('aborted');
    return { steps, pipeline, log, abort };
  }

  it('lets the parts on their way be stored, saves the checkpoint after them, then lets go of the rest', async () => {
    const { steps, pipeline, log, abort } = parts(Promise.resolve());
    await suspendToCheckpoint(pipeline, log, abort);
    expect(steps).toEqual(['drained', 'flushed', 'cancelled']);
  });

  it('waits for a part the server never answers at most the cleanup bound, then cancels it', async () => {
    vi.useFakeTimers();
    const { steps, pipeline, log, abort } = parts(new Promise<void>(() => {}));
    let done = false;
    const suspended = suspendToCheckpoint(pipeline, log, abort).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(CLEANUP_TIMEOUT_MS - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await suspended;
    expect(steps).toEqual(['flushed', 'cancelled']);
  });

  it('aborts when no checkpoint was ever saved: nothing is there for another process', async () => {
    const { steps, pipeline, log, abort } = parts(Promise.resolve());
    await suspendToCheckpoint(pipeline, { ...log, savedOffset: 0 }, abort);
    expect(steps).toEqual(['drained', 'flushed', 'aborted']);
  });
});
