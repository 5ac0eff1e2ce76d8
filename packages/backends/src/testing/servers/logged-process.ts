import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';

/** A server process started for tests, its stdout and stderr going to one log file. */
export interface LoggedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logPath: string;
  /** Set once the process has exited. */
  readonly exited: () => boolean;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): Promise<string>;
  /** SIGTERM to its whole process group (servers fork workers), SIGKILL if still alive after a grace period. */
  stop(): Promise<void>;
}

/**
 * Spawns `command` in its own process group with output appended to `logPath`. The group lets `stop` end
 * forked workers too.
 */
export async function spawnLogged(
  name: string,
  command: string,
  args: readonly string[],
  logPath: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LoggedProcess> {
  const log = await open(logPath, 'a');
  const child = spawn(command, args, {
    stdio: ['ignore', log.fd, log.fd],
    detached: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  await log.close();
  let hasExited = false;
  const exit = once(child, 'exit').then(() => {
    hasExited = true;
  });
  child.on('error', () => {
    hasExited = true;
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    name,
    child,
    logPath,
    exited: () => hasExited,
    tail: (lines = 30) => tailOf(logPath, lines),
    async stop() {
      if (child.pid === undefined) return;
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
      if (!hasExited) await exit;
      clearTimeout(timer);
      // Workers of a server whose parent exited first.
      signalGroup('SIGKILL');
    },
  };
}

export async function tailOf(path: string, lines: number): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Distinct free TCP ports on 127.0.0.1: all are held open together, then released. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let index = 0; index < count; index += 1) {
      const server = createServer();
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** Polls `probe` until it resolves true, failing early if one of `processes` exits. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  processes: readonly LoggedProcess[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = processes.find((candidate) => candidate.exited());
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}`);
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
}

/** An error whose message ends with the log tails of `processes`. */
export async function withLogTails(error: unknown, processes: readonly LoggedProcess[]): Promise<Error> {
  const tails = await Promise.all(
    processes.map(
      async (candidate) => `--- ${candidate.name} (${candidate.logPath}) ---\n${await candidate.tail()}`,
    ),
  );
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${message}\n${tails.join('\n')}`, { cause: error });
}
