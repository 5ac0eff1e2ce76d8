import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultRetryPolicy } from './retry.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the ceiling, jittered between half and all of it', () => {
    const policy = { ...defaultRetryPolicy, initialDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 1, () => 1)).toBe(100);
    expect(backoffDelay(policy, 3, () => 1)).toBe(400);
    expect(backoffDelay(policy, 10, () => 1)).toBe(1_000);
    expect(backoffDelay(policy, 10, () => 0)).toBe(500);
  });
});
