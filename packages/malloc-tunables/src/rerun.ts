import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { mallocTunablesMissing, withMallocTunables } from './malloc-tunables.js';

/**
 * Runs this very command again in a child process that has MALLOC_TUNABLES, unless this one has them (or
 * the C library is not glibc), and exits with the child's status; returns at once when there is nothing
 * to do. For a process that cannot be started with them by whoever starts it (the benches, run through
 * npm): glibc reads GLIBC_TUNABLES only at startup. The child shares stdin, stdout and stderr (a terminal stays a
 * terminal); a terminal's Ctrl-C reaches it directly (same process group), and a SIGTERM or SIGHUP sent to
 * this process is passed on.
 */
export async function rerunWithMallocTunables(): Promise<void> {
  if (mallocTunablesMissing().length === 0) return;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: withMallocTunables(process.env) as NodeJS.ProcessEnv,
  });
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  const status = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)),
    );
  });
  process.exit(status);
}
