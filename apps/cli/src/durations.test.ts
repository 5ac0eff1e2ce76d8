import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.js';
import { UsageError } from './usage-error.js';

describe('parseDuration', () => {
  it('reads units and bare seconds', () => {
    expect(parseDuration('90', '--ttl', 'dev token', 86_400)).toBe(90);
    expect(parseDuration('90s', '--ttl', 'dev token', 86_400)).toBe(90);
    expect(parseDuration('5m', '--ttl', 'dev token', 86_400)).toBe(300);
    expect(parseDuration('12h', '--ttl', 'dev token', 86_400)).toBe(43_200);
    expect(parseDuration('90d', '--expires', 'token create', 400 * 86_400)).toBe(90 * 86_400);
  });

  it('refuses what is not a duration, or is longer than allowed, as usage errors', () => {
    for (const text of ['', 'soon', '-5m', '0', '10ms']) {
      expect(() => parseDuration(text, '--ttl', 'dev token', 86_400)).toThrow(UsageError);
    }
    expect(() => parseDuration('2d', '--ttl', 'dev token', 86_400)).toThrow(/at most 1 day/);
  });
});
