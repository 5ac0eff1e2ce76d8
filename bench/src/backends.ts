// npm run bench:backends — each storage backend through the artifact CAS against the same backend used
// directly with the provider's own client code, on real servers started for the run (docker-registry,
// Swift s3api, Azurite, a local directory). Progress goes to stderr, Markdown tables to stdout.
//
// Knobs: CAIRN_BENCH_BYTES (throughput blob, default 256 MiB), CAIRN_BENCH_RSS_BYTES (memory blob,
// default 1 GiB), CAIRN_BENCH_REPEATS (best of, default 3), CAIRN_BENCH_BACKENDS (comma list of
// filesystem, oci, aws-s3, azure-blob; default all).

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProviderKind, type ProviderKind } from '@cairn/backends';
import { startTestServers } from '@cairn/backends/testing';
import { rerunWithMallocTunables } from '@cairn/malloc-tunables';
import { type BackendCasLauncher, prepareBackendCas } from './backends/cas-process.js';
import { type BackendFigures, type BenchSizes, measureBackend } from './backends/measure.js';
import { printBackendTables } from './backends/tables.js';
import { ALL_KINDS, prepareTargets } from './backends/targets.js';
import { GiB, MiB } from './data.js';

const progress = (what: string) => process.stderr.write(`  ${what}\n`);

function sizesFromEnv(): BenchSizes {
  const positive = (name: string, fallback: number, unit: number) => {
    const raw = process.env[name];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isSafeInteger(value) || value < unit) {
      throw new Error(`${name} must be a whole number of at least ${unit}; got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  return {
    bytes: positive('CAIRN_BENCH_BYTES', 256 * MiB, MiB),
    rssBytes: positive('CAIRN_BENCH_RSS_BYTES', GiB, MiB),
    repeats: positive('CAIRN_BENCH_REPEATS', 3, 1),
  };
}

function kindsFromEnv(): ProviderKind[] {
  const raw = process.env.CAIRN_BENCH_BACKENDS;
  if (raw === undefined || raw.trim() === '') return [...ALL_KINDS];
  return raw.split(',').map((name) => {
    const kind = name.trim();
    if (!isProviderKind(kind))
      throw new Error(`CAIRN_BENCH_BACKENDS: "${kind}" is not one of ${ALL_KINDS.join(', ')}`);
    return kind;
  });
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' / ');

async function main(signal: AbortSignal, cleanups: (() => Promise<void>)[]): Promise<void> {
  const sizes = sizesFromEnv();
  const kinds = kindsFromEnv();
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-backends-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));

  progress('starting docker-registry, Swift s3api and Azurite');
  const servers = await startTestServers();
  cleanups.push(() => servers.stop());
  signal.throwIfAborted();

  const filesystemRoot = join(dir, 'filesystem');
  const targets = await prepareTargets(servers.info, filesystemRoot, kinds, signal);
  const prepared = await prepareBackendCas(dir, targets, [filesystemRoot], signal);
  const launcher: BackendCasLauncher = {
    async start() {
      const cas = await prepared.start();
      // Stopping twice is harmless: measureBackend stops it when done, this covers an interrupt.
      cleanups.push(() => cas.stop());
      return cas;
    },
  };

  process.stdout.write(
    [
      `bench:backends — ${sizes.bytes / MiB} MiB blobs (best of ${sizes.repeats}), ${sizes.rssBytes / MiB} MiB for memory; load average at start ${load()} (1/5/15 min, ${availableParallelism()} cores); every process with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(none)'}`,
      '',
      '"direct" is the provider\'s own driver (the same SDK / fetch client code the CAS runs) wrapped in createBlobStore',
      'in the bench process: hashed and verified once, only the CAS hop is missing. "CAS" is the artifact CAS as its own',
      "process, reading each backend's credentials from its file secret store, over gRPC ByteStream (tuned client",
      'windows) and HTTP; CAS downloads are hashed again by the bench client. Each upload is a distinct blob.',
      '',
      ...targets.map((target) => `- ${target.kind}: ${target.server}, location ${target.location}`),
      '',
      '',
    ].join('\n'),
  );

  const figures: BackendFigures[] = [];
  for (const target of targets) {
    progress(`${target.kind}: starting a fresh CAS`);
    figures.push(await measureBackend(target, launcher, sizes, progress, signal));
  }
  printBackendTables(figures, sizes);
  process.stdout.write(`load average at the end ${load()}\n`);
}

/**
 * Runs `main`, then undoes what it started, newest first, on success, failure or an interrupt. An interrupt
 * stops the CAS and servers at once (which ends any transfer in flight), lets `main` unwind, and cleans up
 * again whatever it started meanwhile; a second interrupt kills the process.
 */
async function run(): Promise<void> {
  const controller = new AbortController();
  const cleanups: (() => Promise<void>)[] = [];
  let cleaning = Promise.resolve();
  const cleanUp = () => {
    cleaning = cleaning.then(async () => {
      for (let next = cleanups.pop(); next; next = cleanups.pop()) {
        await next().catch((error: unknown) => progress(`clean-up failed: ${String(error)}`));
      }
    });
    return cleaning;
  };
  const interrupt = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the CAS and the servers`);
    controller.abort(new Error(`interrupted by ${signal}`));
    void cleanUp();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    await main(controller.signal, cleanups);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    process.exitCode = 130;
  } finally {
    await cleanUp();
  }
}

await rerunWithMallocTunables();
await run();
