import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from './sizes.js';
import { UsageError } from './usage-error.js';

describe('parseSize', () => {
  it('keeps SI and IEC units apart', () => {
    expect(parseSize('100MB', '--max-bytes', 'x')).toBe(100_000_000);
    expect(parseSize('1GiB', '--max-bytes', 'x')).toBe(1024 ** 3);
    expect(parseSize('1.5 GiB', '--max-bytes', 'x')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('500', '--max-bytes', 'x')).toBe(500);
  });

  it('refuses what is not a positive whole size', () => {
    for (const text of ['', 'big', '-5MB', '0', '0.5B', '1e3']) {
      expect(() => parseSize(text, '--max-bytes', 'x')).toThrow(UsageError);
    }
  });
});

describe('parseSize, counterexamples fast-check found (sizes.property.test.ts)', () => {
  it('"0ib" (an "i" with no unit before it) is a usage error, not a TypeError from bytes-iec', () => {
    expect(() => parseSize('0ib', '--max-bytes', 'x')).toThrow(UsageError);
    expect(() => parseSize('5iB', '--max-bytes', 'x')).toThrow(UsageError);
  });

  it('"8200.3GB" is 8200300000000 bytes: decimal sizes are worked out exactly, not in floating point', () => {
    expect(parseSize('8200.3GB', '--max-bytes', 'x')).toBe(8_200_300_000_000);
    expect(parseSize('1.001 kB', '--max-bytes', 'x')).toBe(1001);
  });
});

describe('formatSize', () => {
  it('prints binary units', () => {
    expect(formatSize(1024 ** 3)).toBe('1 GiB');
    expect(formatSize(500 * 1024)).toBe('500 KiB');
    expect(formatSize(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatSize(999)).toBe('999 B');
  });
});
