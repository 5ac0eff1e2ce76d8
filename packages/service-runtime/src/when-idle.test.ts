import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InFlight } from './in-flight.js';
import { whenIdle } from './when-idle.js';

describe('whenIdle', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once a whole period passed with no call, once per quiet spell', () => {
    const inFlight = new InFlight();
    const onIdle = vi.fn();
    const stop = whenIdle(inFlight, 1000, onIdle);
    const call = inFlight.begin();
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled(); // a call running all along
    call.finish();
    vi.advanceTimersByTime(1000);
    expect(onIdle).not.toHaveBeenCalled(); // the period it ended in was not quiet
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(onIdle).toHaveBeenCalledTimes(1); // nothing ran since

    inFlight.begin().finish(); // a short call between two readings
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(2);
    stop();
  });

  it('never runs before any call, nor after stop', () => {
    const inFlight = new InFlight();
    const onIdle = vi.fn();
    const stop = whenIdle(inFlight, 1000, onIdle);
    vi.advanceTimersByTime(5000);
    stop();
    inFlight.begin().finish();
    vi.advanceTimersByTime(5000);
    expect(onIdle).not.toHaveBeenCalled();
  });
});
