import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.js';
import { UsageError } from './usage-error.js';

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['30d', 2_592_000],
  ])('%s → %i s', (text, seconds) => {
    expect(parseDuration(text, '--ttl', 'dev token', 86_400 * 365)).toBe(seconds);
  });

  it('refuses what is not a duration, or is longer than allowed, as usage errors', () => {
    expect(() => parseDuration('soon', '--expires', 'token create', 60)).toThrow(UsageError);
    expect(() => parseDuration('0', '--expires', 'token create', 60)).toThrow('is not a duration');
    expect(() => parseDuration('48h', '--ttl', 'dev token', 86_400)).toThrow('at most 24h');
    expect(() => parseDuration('400d', '--expires', 'token create', 86_400 * 365)).toThrow('at most 365d');
  });
});
