import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type TokenLease, TokenRenewal } from './token-renewal.js';

describe('TokenRenewal', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A renewal whose Vault answers come from `leases` in turn; records when each call came. */
  function renewalOf(lookup: TokenLease | Error, renewals: Array<TokenLease | Error>) {
    const calls: Array<{ kind: 'lookup' | 'renew'; at: number }> = [];
    const answer = (value: TokenLease | Error | undefined) =>
      value instanceof Error || value === undefined
        ? Promise.reject(value ?? new Error('no more answers'))
        : Promise.resolve(value);
    const renewal = new TokenRenewal({
      lookup: () => {
        calls.push({ kind: 'lookup', at: Date.now() });
        return answer(lookup);
      },
      renew: () => {
        calls.push({ kind: 'renew', at: Date.now() });
        return answer(renewals.shift());
      },
    });
    return { renewal, calls };
  }

  it('renews when half of each lease has passed', async () => {
    const start = Date.now();
    const { renewal, calls } = renewalOf({ ttlSeconds: 60, renewable: true }, [
      { ttlSeconds: 60, renewable: true },
      { ttlSeconds: 40, renewable: true },
    ]);
    renewal.start();
    renewal.start();
    await vi.advanceTimersByTimeAsync(55_000);
    expect(calls.map(({ kind, at }) => [kind, at - start])).toEqual([
      ['lookup', 0],
      ['renew', 30_000],
    ]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(calls.map(({ at }) => at - start)).toEqual([0, 30_000, 60_000, 80_000]);
    renewal.stop();
  });

  it('leaves alone a token that never expires or cannot be renewed', async () => {
    for (const lease of [
      { ttlSeconds: 0, renewable: true },
      { ttlSeconds: 600, renewable: false },
    ]) {
      const { renewal, calls } = renewalOf(lease, []);
      renewal.start();
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(calls.map(({ kind }) => kind)).toEqual(['lookup']);
    }
  });

  it('tries a failed renewal again after a quarter of the time left, at least 1 s and at most 60 s apart', async () => {
    const start = Date.now();
    const { renewal, calls } = renewalOf({ ttlSeconds: 600, renewable: true }, [
      new Error('Vault is sealed'),
      new Error('Vault is sealed'),
      { ttlSeconds: 600, renewable: true },
    ]);
    renewal.start();
    await vi.advanceTimersByTimeAsync(300_000 + 60_000 + 60_000 + 1);
    // Renewal at 300 s fails with 300 s left: next in 60 s (a quarter would be 75 s); then again in 60 s.
    expect(calls.map(({ kind, at }) => [kind, (at - start) / 1000])).toEqual([
      ['lookup', 0],
      ['renew', 300],
      ['renew', 360],
      ['renew', 420],
    ]);
    renewal.stop();
  });

  it('tries a failed first lookup again a minute later', async () => {
    const start = Date.now();
    const { renewal, calls } = renewalOf(new Error('connection refused'), []);
    renewal.start();
    await vi.advanceTimersByTimeAsync(60_001);
    expect(calls.map(({ kind, at }) => [kind, at - start])).toEqual([
      ['lookup', 0],
      ['lookup', 60_000],
    ]);
    renewal.stop();
  });

  it('renews at most once a second as leases shrink toward the maximum TTL, and stops at 0 left', async () => {
    const shrinking = renewalOf({ ttlSeconds: 4, renewable: true }, [
      { ttlSeconds: 2, renewable: true },
      { ttlSeconds: 1, renewable: true },
      { ttlSeconds: 0, renewable: true },
    ]);
    const shrinkStart = Date.now();
    shrinking.renewal.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(shrinking.calls.map(({ at }) => at - shrinkStart)).toEqual([0, 2_000, 3_000, 4_000]);
  });

  it('asks once a minute once the token has run out, not every second', async () => {
    const start = Date.now();
    const { renewal, calls } = renewalOf({ ttlSeconds: 4, renewable: true }, []);
    renewal.start();
    await vi.advanceTimersByTimeAsync(130_000);
    // Renewal at 2 s fails with 2 s left: again at 3 s, then 4 s; the token is then gone.
    expect(calls.map(({ at }) => (at - start) / 1000)).toEqual([0, 2, 3, 4, 64, 124]);
    renewal.stop();
  });

  it('stops renewing when stopped', async () => {
    const { renewal, calls } = renewalOf({ ttlSeconds: 10, renewable: true }, [
      { ttlSeconds: 10, renewable: true },
    ]);
    renewal.start();
    await vi.advanceTimersByTimeAsync(1);
    renewal.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.map(({ kind }) => kind)).toEqual(['lookup']);
    renewal.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });
});
