import { describe, expect, it } from 'vitest';
import { resolveRange } from './byte-range.js';

describe('resolveRange', () => {
  it.each([
    ['bytes=0-9', { offset: 0, length: 10 }],
    ['bytes=5-', { offset: 5, length: 95 }],
    ['bytes=-10', { offset: 90, length: 10 }],
    ['bytes=-1000', { offset: 0, length: 100 }],
    ['bytes=90-1000', { offset: 90, length: 10 }],
    ['bytes=99-99', { offset: 99, length: 1 }],
  ])('%s of 100 bytes', (header, expected) => {
    expect(resolveRange(header, 100)).toEqual(expected);
  });

  it.each([undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=9-5', 'bytes=-', 'nonsense'])(
    'sends the whole blob for %s',
    (header) => {
      expect(resolveRange(header, 100)).toBeUndefined();
    },
  );

  it.each([
    ['bytes=100-', 100],
    ['bytes=200-300', 100],
    ['bytes=-0', 100],
    ['bytes=0-', 0],
    ['bytes=-5', 0],
  ])('refuses %s of %i bytes as OUT_OF_RANGE', (header, size) => {
    expect(() => resolveRange(header, size)).toThrowError(/selects no byte/);
  });
});
