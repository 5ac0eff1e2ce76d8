import { afterEach, describe, expect, it, vi } from 'vitest';
import { ThrottledSaves } from './throttled-saves.js';

describe('ThrottledSaves', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Saves that write something every time and end when the test lets them. */
  function heldSaves(intervalMs: number) {
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const saves = new ThrottledSaves(() => {
      started.push(performance.now());
      return new Promise<boolean>((resolve) => releases.push(() => resolve(true)));
    }, intervalMs);
    const releaseAll = () => {
      for (const release of releases.splice(0)) release();
    };
    return { saves, started, releaseAll };
  }

  it('counts the interval from when a save starts, so asks made during it wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { saves, started, releaseAll } = heldSaves(400);
    saves.request();
    await vi.advanceTimersByTimeAsync(20);
    expect(started).toHaveLength(1);
    saves.request(); // while the first save runs
    await vi.advanceTimersByTimeAsync(80);
    releaseAll();
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toHaveLength(2);
    expect((started[1] ?? 0) - (started[0] ?? 0)).toBeGreaterThanOrEqual(400);
    releaseAll();
    await saves.stop();
  });

  it('saves at once on flush, whenever the last save was, and no more once stopped', async () => {
    const { saves, started, releaseAll } = heldSaves(60_000);
    saves.request();
    await Promise.resolve();
    releaseAll();
    const flushed = saves.flush();
    await new Promise((resolve) => setImmediate(resolve));
    releaseAll();
    await flushed;
    expect(started).toHaveLength(2);
    await saves.stop();
    saves.request(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toHaveLength(2);
  });

  it('does not hold back the next save after one that found nothing to write', async () => {
    let writes = 0;
    let due = false;
    const saves = new ThrottledSaves(async () => {
      if (!due) return false;
      writes += 1;
      return true;
    }, 60_000);
    saves.request();
    await saves.flush();
    due = true;
    saves.request();
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toBe(1);
    await saves.stop();
  });
});
