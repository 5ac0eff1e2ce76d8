import { describe, expect, it } from 'vitest';
import { BundleCache } from './bundle-cache.js';

const bytes = (length: number) => new Uint8Array(length);

describe('bundle cache', () => {
  it('keeps entries per organisation and evicts the least recently used beyond its entry count', () => {
    const cache = new BundleCache(2, 1_000);
    cache.set('org-a', 'd1', bytes(1));
    cache.set('org-a', 'd2', bytes(2));
    expect(cache.get('org-b', 'd1')).toBeUndefined();
    expect(cache.get('org-a', 'd1')?.byteLength).toBe(1);
    cache.set('org-a', 'd3', bytes(3));
    expect(cache.get('org-a', 'd2')).toBeUndefined();
    expect(cache.get('org-a', 'd1')?.byteLength).toBe(1);
    expect(cache.get('org-a', 'd3')?.byteLength).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('stays within its byte bound, skips bundles larger than it and counts a replaced entry once', () => {
    const cache = new BundleCache(100, 10);
    cache.set('o', 'a', bytes(4));
    cache.set('o', 'b', bytes(4));
    cache.set('o', 'b', bytes(4));
    expect(cache.bytes).toBe(8);
    cache.set('o', 'c', bytes(4));
    expect(cache.bytes).toBe(8);
    expect(cache.get('o', 'a')).toBeUndefined();
    cache.set('o', 'huge', bytes(11));
    expect(cache.get('o', 'huge')).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });
});
