import { BUCKETS, type LoadFigures, type PhaseFigures } from './run-load.js';
import { GiB, MiB } from './seeded-blob.js';

const KINDS = ['upload/grpc', 'upload/http', 'download/grpc', 'download/http'] as const;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(2)} GiB`;
}

/** Transfers done by size bucket and kind (count, and bytes per bucket), as a Markdown table. */
export function transfersTable(phase: PhaseFigures): string {
  const lines = [
    `| size | ${KINDS.join(' | ')} | bytes |`,
    `|---|${KINDS.map(() => '---:').join('|')}|---:|`,
  ];
  const total = { bytes: 0, counts: KINDS.map(() => 0) };
  for (const { label } of BUCKETS) {
    const cells = KINDS.map((kind) => phase.done[kind]?.[label] ?? { count: 0, bytes: 0 });
    const bytes = cells.reduce((sum, cell) => sum + cell.bytes, 0);
    cells.forEach((cell, index) => {
      total.counts[index] = (total.counts[index] ?? 0) + cell.count;
    });
    total.bytes += bytes;
    lines.push(`| ${label} | ${cells.map((cell) => cell.count).join(' | ')} | ${gib(bytes)} |`);
  }
  lines.push(`| all | ${total.counts.join(' | ')} | ${gib(total.bytes)} |`);
  return lines.join('\n');
}

/** The whole report of a run, for a terminal or RELIABILITY.md. */
export function loadReport(figures: LoadFigures, missed: readonly string[]): string {
  const { load, warmup, rss, options } = figures;
  const seconds = load.wallMs / 1000;
  return [
    `load: ${options.concurrency} transfers in flight for ${(options.durationMs / 1000).toFixed(0)} s, sizes log-uniform ${options.minBytes} B–${mib(options.maxBytes)} (at most ${options.largeInFlight} above ${mib(options.largeBytes)} at once), gRPC or HTTP at even odds${grpcLimits(options)}, seed ${options.seed}`,
    '',
    transfersTable(load),
    '',
    `transfers ${load.transfers} (${load.uploads} uploads, ${load.uploadsReadBack} read back whole), ${gib(load.bytes)} in ${seconds.toFixed(1)} s (${(load.bytes / GiB / seconds).toFixed(2)} GiB/s), errors ${load.failures.length}`,
    `in flight while starting: mean ${load.meanInFlight.toFixed(1)}, fewest ${load.minInFlight}`,
    `warm-up: ${warmup.transfers} transfers, ${gib(warmup.bytes)} in ${(warmup.wallMs / 1000).toFixed(1)} s, errors ${warmup.failures.length}`,
    `CAS RSS: idle ${mib(rss.idle)}, start ${mib(rss.start)} (after warm-up, ${options.settleMs / 1000} s idle), peak ${mib(rss.peak)}, end ${mib(rss.end)} (${options.settleMs / 1000} s idle); end − start ${mib(rss.end - rss.start)}`,
    `stored on the backend: ${gib(figures.storedBytes)}`,
    ...failureSummary([...warmup.failures, ...load.failures]),
    missed.length === 0
      ? 'targets: all met'
      : `targets missed:\n${missed.map((line) => `  - ${line}`).join('\n')}`,
  ].join('\n');
}

/** Failures grouped by kind and message (sizes and digests left out), most frequent first. */
function failureSummary(failures: readonly PhaseFigures['failures'][number][]): string[] {
  const groups = new Map<string, number>();
  for (const failure of failures) {
    const message = failure.message.replace(/sha256:[0-9a-f]{64}/g, 'sha256:…').replace(/\d{4,}/g, 'N');
    const key = `${failure.operation}/${failure.via}: ${message}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([key, count]) => `  failed ×${count}: ${key}`);
}

function grpcLimits(options: LoadFigures['options']): string {
  const limits = [
    ...(options.grpcInFlight === undefined ? [] : [`at most ${options.grpcInFlight} gRPC at once`]),
    ...(options.grpcMaxBytes === undefined ? [] : [`none above ${mib(options.grpcMaxBytes)} on gRPC`]),
  ];
  return limits.length === 0 ? '' : ` (${limits.join(', ')})`;
}
