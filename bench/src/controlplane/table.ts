import type { LoadResult } from './load.js';

export interface ResultRow {
  readonly database: string;
  readonly call: string;
  readonly result: LoadResult;
  /** The machine's 1-minute load average when the measure started (other work skews the figures). */
  readonly load: number;
}

/** A Markdown table of the results, ready to paste into BENCHMARKS.md. */
export function printResults(title: string, clients: number, rows: readonly ResultRow[]): void {
  const lines = [
    `### ${title}`,
    '',
    `${clients} concurrent gRPC clients (one connection each), ${rows[0]?.result.seconds ?? 0} s per measure after a warm-up.`,
    '',
    '| database | call | requests/s | p50 | p99 | calls | errors | load avg |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(({ database, call, result, load }) =>
      [
        '',
        database,
        call,
        result.perSecond.toFixed(0),
        `${result.p50Ms.toFixed(1)} ms`,
        `${result.p99Ms.toFixed(1)} ms`,
        String(result.requests),
        String(result.errors),
        load.toFixed(1),
        '',
      ]
        .join(' | ')
        .trim(),
    ),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
