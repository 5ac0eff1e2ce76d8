import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/cairn.js', import.meta.url));

export interface CairnRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/**
 * Runs the real `cairn` executable as a user would (as a command, so its `#!` line applies), with only
 * the CAIRN_* variables the test gives.
 */
export function spawnCairn(
  args: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    /** Text written to the command's standard input (else it reads an empty one). */
    stdin?: string;
    /** Close the reading end of its stdout after this many bytes, as `| head -c N` does. */
    closeStdoutAfter?: number;
  },
): Promise<CairnRun> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CAIRN_')) env[key] = value;
  }
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let received = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      received += chunk.length;
      if (options.closeStdoutAfter !== undefined && received >= options.closeStdoutAfter)
        child.stdout?.destroy();
    });
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}
