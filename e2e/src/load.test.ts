// The shortened form of `npm run load` (issue 14, part 5; RELIABILITY.md, "Load"): the same code, 200
// transfers in flight through a real CAS process for 10 s with blobs of 1 KiB–16 MiB instead of 60 s with
// 1 KiB–256 MiB. No transfer may fail and every upload is read back with every byte hashed.
//
// The CAS's RSS may grow at most 50 MiB from after the warm-up to after the load, each read after 10 s
// idle: the CAS gives the heap's free memory back 2.2–4.2 s after its last call (memory.releaseWhenIdleMs,
// 2 s), later when other test files share the cores. Without
// that release the growth was glibc's high-water mark, −40 to +132 MiB (RELIABILITY.md, "Load").
import { describe, expect, it } from 'vitest';
import { recordFigures } from './support/figures.js';
import { loadReport } from './support/load/report.js';
import {
  FULL_LOAD,
  type LoadOptions,
  loadTargetsMissed,
  RSS_GROWTH_TARGET,
  runLoad,
} from './support/load/run-load.js';
import { MiB } from './support/load/seeded-blob.js';

const SHORT_LOAD: LoadOptions = {
  ...FULL_LOAD,
  durationMs: 10_000,
  warmupMs: 4_000,
  settleMs: 10_000,
  maxBytes: 16 * MiB,
  drainTimeoutMs: 40_000,
  seed: 'cairn-load-e2e',
};

describe('200 concurrent transfers through the CAS', () => {
  it('loses no byte, fails no transfer and keeps its memory bounded', async () => {
    const started = performance.now();
    const figures = await runLoad(SHORT_LOAD);
    const missed = loadTargetsMissed(figures);
    console.info(loadReport(figures, missed));
    recordFigures('load', {
      transfers: figures.load.transfers,
      bytes: figures.load.bytes,
      errors: figures.load.failures.length + figures.warmup.failures.length,
      meanInFlight: Math.round(figures.load.meanInFlight),
      rssStart: figures.rss.start,
      rssPeak: figures.rss.peak,
      rssEnd: figures.rss.end,
      wallMs: Math.round(performance.now() - started),
    });

    expect([...figures.warmup.failures, ...figures.load.failures].map((failure) => failure.message)).toEqual(
      [],
    );
    expect(figures.load.uploadsReadBack).toBe(figures.load.uploads);
    expect(figures.load.transfers).toBeGreaterThan(0);
    // The load kept its transfers in flight (a slot is out only while it computes its next blob's digest).
    expect(figures.load.meanInFlight).toBeGreaterThan(0.9 * SHORT_LOAD.concurrency);
    expect(figures.rss.end - figures.rss.start).toBeLessThanOrEqual(RSS_GROWTH_TARGET);
    expect(missed).toEqual([]);
  }, 150_000);
});
