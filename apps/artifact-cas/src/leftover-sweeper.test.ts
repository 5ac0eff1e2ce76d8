import type { BlobStore, SweepReport } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { describe, expect, it } from 'vitest';
import { LeftoverSweeper } from './biz/leftover-sweeper.js';
import type { Lease } from './data/leased-cache.js';

function claimsFor(id: string): CasClaims {
  return {
    iss: 'i',
    aud: 'a',
    iat: 0,
    exp: 0,
    jti: 'j',
    sub: 's',
    org: 'o',
    role: 'upload',
    backend: { id, provider: 'aws-s3', location: `bucket-${id}` },
    secret: '',
    max_bytes: 1,
  } as CasClaims;
}

/** A sweeper over fake backends whose sweeps finish when told to. */
function harness(options: { periodMs?: number; fail?: boolean } = {}) {
  let now = 1_000_000;
  const calls: { id: string; olderThanMs: number; finish: (report: SweepReport) => void }[] = [];
  const released: string[] = [];
  const outcomes: unknown[] = [];
  const open = async (claims: CasClaims): Promise<Lease<BlobStore>> => {
    if (options.fail) throw new Error('backend unreachable');
    const store = {
      sweepLeftovers: (olderThanMs: number) =>
        new Promise<SweepReport>((finish) => calls.push({ id: claims.backend.id, olderThanMs, finish })),
    } as unknown as BlobStore;
    return { value: store, release: () => released.push(claims.backend.id) };
  };
  const sweeper = new LeftoverSweeper(open, {
    leftoverAgeMs: 5_000,
    periodMs: options.periodMs ?? 60_000,
    timeoutMs: 10_000,
    maxConcurrent: 2,
    clock: () => now,
    onSwept: (backend, outcome) => outcomes.push({ id: backend.id, ...outcome }),
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));
  return { sweeper, calls, released, outcomes, settle, advance: (ms: number) => (now += ms) };
}

describe('the leftover sweeper', () => {
  it('sweeps a backend on its first use, then at most once per period, with the configured age', async () => {
    const t = harness();
    t.sweeper.noteUse(claimsFor('a'));
    t.sweeper.noteUse(claimsFor('a'));
    await t.settle();
    expect(t.calls.map((call) => [call.id, call.olderThanMs])).toEqual([['a', 5_000]]);
    t.calls[0]?.finish({ removed: 3, left: 1 });
    await t.settle();
    expect(t.outcomes).toEqual([{ id: 'a', report: { removed: 3, left: 1 }, ms: 0 }]);
    expect(t.released).toEqual(['a']);

    t.advance(59_999);
    t.sweeper.noteUse(claimsFor('a'));
    await t.settle();
    expect(t.calls).toHaveLength(1);
    t.advance(1);
    t.sweeper.noteUse(claimsFor('a'));
    await t.settle();
    expect(t.calls).toHaveLength(2);
    t.calls[1]?.finish({ removed: 0, left: 0 });
    await t.sweeper.close();
  });

  it('runs at most two sweeps at once; a backend that found no room is swept on a later use', async () => {
    const t = harness();
    for (const id of ['a', 'b', 'c']) t.sweeper.noteUse(claimsFor(id));
    await t.settle();
    expect(t.calls.map((call) => call.id)).toEqual(['a', 'b']);
    t.calls[0]?.finish({ removed: 0, left: 0 });
    await t.settle();
    t.sweeper.noteUse(claimsFor('c'));
    await t.settle();
    expect(t.calls.map((call) => call.id)).toEqual(['a', 'b', 'c']);
    for (const call of t.calls.slice(1)) call.finish({ removed: 0, left: 0 });
    await t.sweeper.close();
  });

  it('reports a failure, and does not retry the backend before the period is over', async () => {
    const t = harness({ fail: true });
    t.sweeper.noteUse(claimsFor('a'));
    await t.settle();
    expect(t.outcomes).toEqual([{ id: 'a', error: new Error('backend unreachable') }]);
    t.sweeper.noteUse(claimsFor('a'));
    await t.settle();
    expect(t.outcomes).toHaveLength(1);
    await t.sweeper.close();
    t.advance(60_000);
    t.sweeper.noteUse(claimsFor('a'));
    await t.settle();
    expect(t.outcomes).toHaveLength(1);
  });
});
