// `npm run load`: 200 transfers in flight for 60 s through a real artifact CAS process on 127.0.0.1 (a
// filesystem backend in a temp folder), every byte checked, and the CAS's RSS at the start and the end
// (RELIABILITY.md, "Load"). Exits 1 when a target is missed. The temp folder is removed at the end.
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadReport } from '../e2e/src/support/load/report.js';
import { FULL_LOAD, type LoadOptions, loadTargetsMissed, runLoad } from '../e2e/src/support/load/run-load.js';
import { GiB, MiB } from '../e2e/src/support/load/seeded-blob.js';

const USAGE = `Usage: npm run load [-- options]

  --concurrency N      transfers in flight (default ${FULL_LOAD.concurrency})
  --duration S         seconds of load, after the warm-up (default ${FULL_LOAD.durationMs / 1000})
  --warmup S           seconds of the same load before the starting RSS (default ${FULL_LOAD.warmupMs / 1000})
  --settle S           idle seconds before each RSS reading (default ${FULL_LOAD.settleMs / 1000})
  --max-size MIB       largest blob, MiB (default ${FULL_LOAD.maxBytes / MiB}); the smallest is 1 KiB
  --large-size MIB     blobs above this many MiB are large (default ${FULL_LOAD.largeBytes / MiB})
  --large-in-flight N  large transfers in flight at once (default ${FULL_LOAD.largeInFlight})
  --grpc-in-flight N   at most N gRPC transfers at once, the rest HTTP (default: no limit)
  --grpc-max-size MIB  no blob above MIB over gRPC (default: no limit)
  --max-stored GIB     once this much is stored, only download (default ${FULL_LOAD.maxStoredBytes / GiB})
  --seed TEXT          seeds sizes, transports and contents (default ${FULL_LOAD.seed})
  --json FILE          also append the figures as one JSON line to FILE
`;

// Ctrl-C: cancel what is in flight, stop the CAS and remove its folder (a second one exits at once).
const stop = new AbortController();
process.once('SIGINT', () => {
  process.stderr.write('load: stopping (Ctrl-C again to exit at once)\n');
  stop.abort(new Error('stopped by Ctrl-C'));
});

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      settle: { type: 'string' },
      'max-size': { type: 'string' },
      'large-size': { type: 'string' },
      'large-in-flight': { type: 'string' },
      'grpc-in-flight': { type: 'string' },
      'grpc-max-size': { type: 'string' },
      'max-stored': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const number = (value: string | undefined, fallback: number, scale: number, least: number) => {
    if (value === undefined) return fallback;
    const parsed = Number(value) * scale;
    if (!Number.isFinite(parsed) || parsed < least)
      throw new Error(`${value} is not a number ≥ ${least / scale}`);
    return Math.round(parsed);
  };
  let lastPrint = 0;
  const options: LoadOptions = {
    ...FULL_LOAD,
    concurrency: number(values.concurrency, FULL_LOAD.concurrency, 1, 1),
    durationMs: number(values.duration, FULL_LOAD.durationMs, 1000, 1000),
    warmupMs: number(values.warmup, FULL_LOAD.warmupMs, 1000, 0),
    settleMs: number(values.settle, FULL_LOAD.settleMs, 1000, 0),
    maxBytes: number(values['max-size'], FULL_LOAD.maxBytes, MiB, 1024),
    largeBytes: number(values['large-size'], FULL_LOAD.largeBytes, MiB, 1024),
    largeInFlight: number(values['large-in-flight'], FULL_LOAD.largeInFlight, 1, 0),
    ...(values['grpc-in-flight'] === undefined
      ? {}
      : { grpcInFlight: number(values['grpc-in-flight'], 0, 1, 0) }),
    ...(values['grpc-max-size'] === undefined
      ? {}
      : { grpcMaxBytes: number(values['grpc-max-size'], 0, MiB, 0) }),
    maxStoredBytes: number(values['max-stored'], FULL_LOAD.maxStoredBytes, GiB, 0),
    seed: values.seed ?? FULL_LOAD.seed,
    onSample: (phase, sample) => {
      if (sample.elapsedMs - lastPrint < 5_000 && sample.elapsedMs >= lastPrint) return;
      lastPrint = sample.elapsedMs;
      process.stderr.write(
        `${phase} ${(sample.elapsedMs / 1000).toFixed(0).padStart(3)} s: ${sample.inFlight} in flight, CAS RSS ${(sample.rss / MiB).toFixed(0)} MiB\n`,
      );
    },
  };
  const figures = await runLoad({ ...options, signal: stop.signal });
  const missed = loadTargetsMissed(figures);
  process.stdout.write(`${loadReport(figures, missed)}\n`);
  if (values.json) appendFileSync(values.json, `${JSON.stringify({ ...figures, missed })}\n`);
  return missed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (stop.signal.aborted) {
      process.stderr.write('load: stopped before the end; the CAS is stopped and its folder removed\n');
      process.exitCode = 130;
      return;
    }
    process.stderr.write(
      `load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
