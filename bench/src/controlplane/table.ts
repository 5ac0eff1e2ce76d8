import type { LoadResult } from './load.js';

export interface ResultRow {
  readonly database: string;
  readonly call: string;
  readonly result: LoadResult;
  /** The machine's 1-minute load average when the measure started (other work skews the figures). */
  readonly load: number;
  /** What the same clients got from something that does less, measured in the same run. */
  readonly ceiling?: { readonly name: string; readonly result: LoadResult; readonly load: number };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const cpuMs = (value: number | undefined) => (value === undefined ? '' : `${value.toFixed(2)}`);

function cpuCells(result: LoadResult): string[] {
  const { cpu } = result;
  return [
    cpuMs(cpu.serverMs),
    cpu.serverMs === undefined || cpu.serverMs === 0 ? '' : (1000 / cpu.serverMs).toFixed(0),
    cpuMs(cpu.clientMs),
    cpuMs(cpu.machineMs),
    `${(cpu.busy * 100).toFixed(0)}%`,
    cpu.bound.toFixed(0),
  ];
}

/** Markdown tables of the results, ready to paste into BENCHMARKS.md. */
export function printResults(title: string, clients: number, rows: readonly ResultRow[]): void {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    `### ${title}`,
    '',
    `${clients} concurrent callers (gRPC: one connection each), ${rows[0]?.result.seconds ?? 0} s per measure after a warm-up.`,
    '',
    line([
      'database',
      'call',
      'requests/s',
      'p50',
      'p99',
      'errors',
      'ceiling (same run)',
      'ceiling requests/s',
      'ceiling p99',
      'ratio',
      'load avg',
    ]),
    line(Array.from({ length: 11 }, () => '---')),
    ...rows.map(({ database, call, result, load, ceiling }) =>
      line([
        database,
        call,
        result.perSecond.toFixed(0),
        ms(result.p50Ms),
        ms(result.p99Ms),
        String(result.errors),
        ceiling?.name ?? '',
        ceiling ? ceiling.result.perSecond.toFixed(0) : '',
        ceiling ? ms(ceiling.result.p99Ms) : '',
        ceiling && ceiling.result.perSecond > 0
          ? (result.perSecond / ceiling.result.perSecond).toFixed(2)
          : '',
        load.toFixed(1),
      ]),
    ),
    '',
    'CPU per call in the measured window (ms): the serving process, and the calls/s it could serve with',
    'one core to itself (1000 ÷ its CPU per call: a Node server runs its JavaScript on one thread); the',
    'clients (this process); every process on the machine; how busy the cores were; and the calls/s the',
    'cores allow at that machine CPU per call (cores ÷ machine CPU per call), the bound on the measured rate',
    'when the cores are saturated.',
    '',
    line([
      'database',
      'measure',
      'server',
      'server alone on 1 core (calls/s)',
      'clients',
      'machine',
      'cores busy',
      'CPU bound (calls/s)',
    ]),
    line(Array.from({ length: 8 }, () => '---')),
    ...rows.flatMap(({ database, call, result, ceiling }) => [
      line([database, call, ...cpuCells(result)]),
      ...(ceiling
        ? [line([database, `${ceiling.name} (ceiling of ${call})`, ...cpuCells(ceiling.result)])]
        : []),
    ]),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
