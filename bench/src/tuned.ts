import { spawn } from 'node:child_process';
import { mallocTunablesMissing, withMallocTunables } from '@cairn/artifact-cas/malloc-tunables';

/**
 * Runs this bench again in a child process with the CAS's malloc settings, unless it already has them, and
 * exits with the child's code. glibc reads GLIBC_TUNABLES only at startup, and the bench process is itself
 * a measured party (the client of every server, and the direct path of bench:backends): it gets the
 * settings the CAS gets, as do the servers it starts, so no side of a ratio is tuned alone.
 */
export async function rerunWithMallocTunables(): Promise<void> {
  if (mallocTunablesMissing().length === 0) return;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: withMallocTunables(process.env) as NodeJS.ProcessEnv,
  });
  // A terminal's Ctrl-C reaches the child itself (same process group); a SIGTERM sent to this pid is passed on.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const code = await new Promise<number>((resolve) =>
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1))),
  );
  process.exit(code);
}
