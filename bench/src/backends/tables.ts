import { MiB } from '../data.js';
import { gibPerSecond, mib, printTable, type Row } from '../report.js';
import type { Sample } from '../sample.js';
import type { BackendFigures, BenchSizes, Transfer } from './measure.js';

const RATIO_TARGET = 0.8;
const RSS_TARGET = 150 * MiB;

/** Prints the run's tables as Markdown, ready for BENCHMARKS.md. */
export function printBackendTables(figures: readonly BackendFigures[], sizes: BenchSizes): void {
  printTable(
    `Through the CAS vs. direct, ${sizes.bytes / MiB} MiB blob, best of ${sizes.repeats}`,
    figures.flatMap((backend) => [
      ratioRow(backend, 'upload, gRPC Write', backend.grpc.upload, backend.direct.upload),
      ratioRow(backend, 'download, gRPC Read', backend.grpc.download, backend.direct.download),
      ratioRow(backend, 'upload, HTTP PUT', backend.http.upload, backend.direct.upload),
      ratioRow(backend, 'download, HTTP GET', backend.http.download, backend.direct.download),
    ]),
  );
  printTable(
    `CAS peak RSS above idle, one ${sizes.rssBytes / MiB} MiB blob over gRPC`,
    figures.flatMap((backend) =>
      (['upload', 'download'] as const).map((direction) => ({
        name: `${backend.target.kind} ${direction}`,
        value: mib(backend.memory[direction]),
        ceilingName: 'CAS idle RSS',
        ceiling: mib(backend.memory.idle),
        target: `≤ ${mib(RSS_TARGET)}`,
        pass: backend.memory[direction] <= RSS_TARGET,
      })),
    ),
  );
  printTable(
    'CPU during those transfers (share of one core: the bench process on the direct path, the CAS process through it)',
    figures.flatMap((backend) =>
      (['upload', 'download'] as const).map((direction) => ({
        name: `${backend.target.kind} ${direction}`,
        value: [
          `direct ${cpu(backend.direct, direction)}`,
          `gRPC ${cpu(backend.grpc, direction)}`,
          `HTTP ${cpu(backend.http, direction)}`,
        ].join(' · '),
      })),
    ),
  );
  printTable(
    'The whole machine during those transfers: CPU seconds per GiB of every process (storage server, CAS, bench client), how busy the cores were, and the ratio that CPU alone allows',
    figures.flatMap((backend) =>
      (['upload', 'download'] as const).map((direction) => machineRow(backend, direction)),
    ),
  );
}

/**
 * The ≥ 0.8 target is for the storage servers. A local directory has no server: its "direct" path is file
 * I/O inside the bench process with no transport at all, so the ratio shows the cost of the CAS hop itself,
 * whose targets are bench:cas's (against bare grpc-js and HTTP servers).
 */
function ratioRow(backend: BackendFigures, what: string, proxied: Sample, direct: Sample): Row {
  const ratio = proxied.bytesPerSecond / direct.bytesPerSecond;
  const server = backend.target.kind !== 'filesystem';
  return {
    name: `${backend.target.kind} ${what}`,
    value: gibPerSecond(proxied.bytesPerSecond),
    ceilingName: server ? 'direct, provider client in-process' : 'direct file I/O in-process (no transport)',
    ceiling: gibPerSecond(direct.bytesPerSecond),
    ratio,
    ...(server ? { target: `≥ ${RATIO_TARGET}`, pass: ratio >= RATIO_TARGET } : {}),
  };
}

/**
 * The whole machine's CPU per GiB on each path. When the cores are all busy (they are, on this 2-core
 * machine that also runs the storage servers), a path's throughput is about cores / (machine CPU per GiB),
 * so direct CPU / proxied CPU bounds the proxy/direct ratio whatever the CAS does with its own share.
 */
function machineRow(backend: BackendFigures, direction: keyof Transfer): Row {
  const direct = backend.direct[direction].machine;
  const paths = [
    ['direct', direct],
    ['gRPC', backend.grpc[direction].machine],
    ['HTTP', backend.http[direction].machine],
  ] as const;
  const per = paths.map(([name, load]) => `${name} ${load.cpuPerGiB.toFixed(1)} s`).join(' · ');
  const busy = paths.map(([, load]) => `${(load.busy * 100).toFixed(0)}%`).join(' · ');
  const steal = Math.max(...paths.map(([, load]) => load.steal));
  const bound = paths
    .slice(1)
    .map(([name, load]) => `${name} ${(direct.cpuPerGiB / load.cpuPerGiB).toFixed(2)}`)
    .join(' · ');
  return {
    name: `${backend.target.kind} ${direction}`,
    value: `${per}; cores busy ${busy}; steal ≤ ${(steal * 100).toFixed(0)}%; CPU bound on ratio: ${bound}`,
  };
}

function cpu(transfer: Transfer, direction: keyof Transfer): string {
  return `${(transfer[direction].cpuShare * 100).toFixed(0)}%`;
}
