import { readFile } from 'node:fs/promises';
import { seconds } from './data.js';

/** One timed transfer: its rate, and how busy the process doing the work was meanwhile. */
export interface Sample {
  readonly bytesPerSecond: number;
  /** CPU time of the watched process over wall time: 1 is one core fully busy. */
  readonly cpuShare: number;
  /** CPU seconds (user + system, all threads) the watched process spent per GiB moved. */
  readonly cpuPerGiB: number;
  /**
   * The part of `cpuPerGiB` spent in the kernel: socket copies, and for a server that stores, the page
   * cache or tmpfs pages its writes fill (on this VM several times dearer when the memory is fresh).
   */
  readonly systemPerGiB: number;
  /** The whole machine meanwhile: every process (storage server, CAS, bench client, anything else). */
  readonly machine: MachineLoad;
}

/** How the machine's cores were used during a transfer, from /proc/stat. */
export interface MachineLoad {
  /** CPU seconds all processes and the kernel spent per GiB moved (steal and idle excluded). */
  readonly cpuPerGiB: number;
  /** Share of all cores' time that was busy: near 1, the transfer was bound by CPU. */
  readonly busy: number;
  /** Share of all cores' time the hypervisor gave to other guests (steal). */
  readonly steal: number;
}

/** Times `work` moving `bytes`, watching the CPU time of process `pid` (the CAS, or the bench itself). */
export async function sample(pid: number, bytes: number, work: () => Promise<unknown>): Promise<Sample> {
  const cpuBefore = await cpuTimesOf(pid);
  const machineBefore = await machineTicks();
  const started = process.hrtime.bigint();
  await work();
  const elapsed = seconds(started);
  const cpuAfter = await cpuTimesOf(pid);
  const system = cpuAfter.system - cpuBefore.system;
  const cpu = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system;
  const machineAfter = await machineTicks();
  const ticks = (field: keyof MachineTicks) => machineAfter[field] - machineBefore[field];
  const all = ticks('busy') + ticks('idle') + ticks('steal');
  return {
    bytesPerSecond: bytes / elapsed,
    cpuShare: cpu / elapsed,
    cpuPerGiB: (cpu * 1024 ** 3) / bytes,
    systemPerGiB: (system * 1024 ** 3) / bytes,
    machine: {
      cpuPerGiB: (ticks('busy') / TICKS_PER_SECOND) * (1024 ** 3 / bytes),
      busy: all > 0 ? ticks('busy') / all : 0,
      steal: all > 0 ? ticks('steal') / all : 0,
    },
  };
}

export interface MachineTicks {
  readonly busy: number;
  readonly idle: number;
  readonly steal: number;
}

/** The machine's CPU time so far, in ticks, from the `cpu` line of /proc/stat. */
export async function machineTicks(): Promise<MachineTicks> {
  const stat = await readFile('/proc/stat', 'utf8');
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no cpu line');
  // user nice system idle iowait irq softirq steal (guest time is already counted in user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const value = (n: number | undefined) => n ?? 0;
  return {
    busy: value(user) + value(nice) + value(system) + value(irq) + value(softirq),
    idle: value(idle) + value(iowait),
    steal: value(steal),
  };
}

/** The fastest of several samples of one transfer: the least disturbed by other work on the machine. */
export function fastestOf(samples: readonly Sample[]): Sample {
  const [first, ...rest] = samples;
  if (!first) throw new Error('nothing was measured');
  return rest.reduce((best, next) => (next.bytesPerSecond > best.bytesPerSecond ? next : best), first);
}

// USER_HZ is 100 on every Linux this runs on.
export const TICKS_PER_SECOND = 100;

/** User and system CPU seconds of a process so far (all its threads), from /proc/<pid>/stat. */
export async function cpuTimesOf(pid: number): Promise<{ user: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, so 12 and 13 after the command name.
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}
