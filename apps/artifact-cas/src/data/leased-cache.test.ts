import { describe, expect, it } from 'vitest';
import { LeasedCache } from './leased-cache.js';

function setup(ttlMs = 1000) {
  // A clock of epoch milliseconds, like Date.now (lru-cache treats a start time of 0 as "no TTL").
  let now = 1_700_000_000_000;
  const closed: string[] = [];
  const cache = new LeasedCache<string>({
    ttlMs,
    clock: () => now,
    close: async (value) => {
      closed.push(value);
    },
  });
  return { cache, closed, advance: (ms: number) => (now += ms) };
}

describe('LeasedCache', () => {
  it('shares one value per key while it is fresh', async () => {
    const { cache } = setup();
    let created = 0;
    const make = async () => `v${++created}`;
    const [a, b] = await Promise.all([cache.acquire('k', make), cache.acquire('k', make)]);
    expect(a.value).toBe('v1');
    expect(b.value).toBe('v1');
    expect(created).toBe(1);
    await cache.dispose();
  });

  it('creates a new value after the TTL and closes the old one once its last lease is released', async () => {
    const { cache, closed, advance } = setup();
    let created = 0;
    const make = async () => `v${++created}`;
    const old = await cache.acquire('k', make);
    advance(1001); // just past the TTL: an entry is fresh for its whole TTL
    const fresh = await cache.acquire('k', make);
    expect(fresh.value).toBe('v2');
    expect(closed).toEqual([]);
    old.release();
    old.release();
    await Promise.resolve();
    expect(closed).toEqual(['v1']);
    fresh.release();
    await cache.dispose();
    expect(closed).toEqual(['v1', 'v2']);
  });

  it('does not cache a failed creation', async () => {
    const { cache } = setup();
    await expect(cache.acquire('k', async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    const lease = await cache.acquire('k', async () => 'up');
    expect(lease.value).toBe('up');
    lease.release();
    await cache.dispose();
  });

  it('on dispose closes idle entries at once and held ones when released', async () => {
    const { cache, closed } = setup();
    const held = await cache.acquire('a', async () => 'a');
    (await cache.acquire('b', async () => 'b')).release();
    await cache.dispose();
    expect(closed).toEqual(['b']);
    held.release();
    await Promise.resolve();
    expect(closed).toEqual(['b', 'a']);
  });
});
