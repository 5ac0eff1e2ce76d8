import { GiB, MiB } from './data.js';

export interface Row {
  readonly name: string;
  readonly value: string;
  readonly ceilingName?: string;
  readonly ceiling?: string;
  readonly ratio?: number;
  readonly target?: string;
  readonly pass?: boolean;
}

export const gibPerSecond = (bytesPerSecond: number) => `${(bytesPerSecond / GiB).toFixed(2)} GiB/s`;
export const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

/** Prints rows as a Markdown table, so the output can be pasted into BENCHMARKS.md as it is. */
export function printTable(title: string, rows: readonly Row[]): void {
  const lines = [
    `### ${title}`,
    '',
    '| measure | value | ceiling (same run) | ceiling value | ratio | target |',
    '|---|---|---|---|---|---|',
    ...rows
      .map((row) =>
        [
          row.name,
          row.value,
          row.ceilingName ?? '',
          row.ceiling ?? '',
          row.ratio === undefined ? '' : row.ratio.toFixed(2),
          row.target === undefined ? '' : `${row.target} ${row.pass ? '✓' : '✗'}`,
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Runs `measure` `times` times and keeps the fastest, which is the least disturbed by the other core's work. */
export async function best(times: number, measure: () => Promise<number>): Promise<number> {
  let fastest = 0;
  for (let i = 0; i < times; i++) fastest = Math.max(fastest, await measure());
  return fastest;
}
