import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CAIRN_BIN = fileURLToPath(new URL('../../../apps/cli/bin/cairn.js', import.meta.url));

export interface CairnRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Children still running; `stopChildren` ends them (tests call it in afterEach, so a failure leaves none). */
const running = new Set<ChildProcess>();

/**
 * Runs the built `cairn` command as a subprocess with only the CAIRN_* variables given (and none of the
 * test process's), resolving when it exits.
 */
export function runCairn(args: readonly string[], options: { cwd: string; env: Record<string, string> }) {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CAIRN_')) env[key] = value;
  }
  Object.assign(env, options.env);
  const child = spawn(CAIRN_BIN, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const done = new Promise<CairnRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
  return { child, done, stderrSoFar: () => Buffer.concat(stderr).toString('utf8') };
}

export async function stopChildren(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }),
  );
}
