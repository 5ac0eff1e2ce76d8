import { readFile } from 'node:fs/promises';
import { seconds } from './data.js';

/** One timed transfer: its rate, and how busy the process doing the work was meanwhile. */
export interface Sample {
  readonly bytesPerSecond: number;
  /** CPU time of the watched process over wall time: 1 is one core fully busy. */
  readonly cpuShare: number;
  /** CPU seconds (user + system, all threads) the watched process spent per GiB moved. */
  readonly cpuPerGiB: number;
}

/** Times `work` moving `bytes`, watching the CPU time of process `pid` (the CAS, or the bench itself). */
export async function sample(pid: number, bytes: number, work: () => Promise<unknown>): Promise<Sample> {
  const cpuBefore = await cpuSecondsOf(pid);
  const started = process.hrtime.bigint();
  await work();
  const elapsed = seconds(started);
  const cpu = (await cpuSecondsOf(pid)) - cpuBefore;
  return { bytesPerSecond: bytes / elapsed, cpuShare: cpu / elapsed, cpuPerGiB: (cpu * 1024 ** 3) / bytes };
}

/** The fastest of several samples of one transfer: the least disturbed by other work on the machine. */
export function fastestOf(samples: readonly Sample[]): Sample {
  const [first, ...rest] = samples;
  if (!first) throw new Error('nothing was measured');
  return rest.reduce((best, next) => (next.bytesPerSecond > best.bytesPerSecond ? next : best), first);
}

// USER_HZ is 100 on every Linux this runs on.
const TICKS_PER_SECOND = 100;

/** User plus system CPU seconds of a process so far, from /proc/<pid>/stat. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, so 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
