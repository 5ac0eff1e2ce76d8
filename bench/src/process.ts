import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { withMallocTunables } from '@cairn/malloc-tunables';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** What the server printed as its first stdout line (its port, for the bare servers). */
  readonly firstLine: string;
  stop(): Promise<void>;
}

/**
 * Starts `node <nodeFlags> --import tsx <script>` and waits until it is ready: by default until its first
 * line of output (the bare servers print their port), or until `ready()` resolves true.
 */
export async function startNodeServer(
  script: string,
  args: readonly string[] = [],
  ready?: () => Promise<boolean>,
  nodeFlags: readonly string[] = [],
): Promise<ServerProcess> {
  // CAIRN_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the servers under load.
  const nodeArgs = (process.env.CAIRN_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeFlags, ...nodeArgs, '--import', 'tsx', script, ...args], {
    // The CAS's malloc settings for every server alike, ceilings included (see malloc-tunables.ts).
    env: withMallocTunables(process.env) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  const stdout = child.stdout;
  if (!stdout) throw new Error(`no stdout from ${script}`);
  const lines = createInterface({ input: stdout });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`))),
  );
  const firstLine = await Promise.race([
    ready ? poll(ready).then(() => '') : new Promise<string>((resolve) => lines.once('line', resolve)),
    exited,
  ]);
  exited.catch(() => {});
  lines.on('line', () => {});
  return {
    child,
    pid,
    firstLine,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident and peak resident memory of a process, in bytes, from /proc. */
export async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(name)) ?? '')?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS:'), peak: field('VmHWM:') };
}

/** Resets a process's peak RSS to its current RSS (Linux `clear_refs` 5), so a phase's peak can be read. */
export async function resetPeak(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5');
}

async function poll(ready: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not become ready within 30 s');
}
