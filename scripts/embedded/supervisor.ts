import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/** tsx as this repository has it, so children start from any working directory. */
const TSX = import.meta.resolve('tsx');

/** A service the start script runs as its own process. */
export interface ChildSpec {
  readonly name: string;
  /** Path of a TypeScript entry, run with `node --import tsx`. */
  readonly entry: string;
  readonly args: readonly string[];
  /** Its environment, if not this script's own. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Options for node itself, before `--import tsx`. */
  readonly nodeFlags?: readonly string[];
}

/** Where the children's log lines go: files under `directory`, and the terminal too when `echo` is set. */
export interface LogSink {
  readonly directory: string;
  readonly echo: boolean;
}

export interface Supervisor {
  readonly children: ReadonlyMap<string, ChildProcess>;
  /** Resolves with an exit code once every child has exited. */
  readonly exited: Promise<number>;
  /** Asks every child to stop (SIGTERM); they drain and exit. */
  stop(signal?: NodeJS.Signals): void;
}

/**
 * Runs the services as child processes (so the control plane can be a second one beside the CAS).
 * Each child gets its own process group, so a terminal's Ctrl-C reaches only this script, which passes
 * it on exactly once; an IPC channel lets a child notice when this script dies without a signal. When one
 * child exits on its own, the others are stopped too: a half-running Cairn is not useful.
 */
export function superviseChildren(
  specs: readonly ChildSpec[],
  logs: LogSink,
  onExit: (name: string, code: number) => void,
  options: {
    /** Descriptors every child holds open too (after stdin, stdout, stderr and IPC): the folder's lock. */
    readonly sharedFds?: readonly number[];
  } = {},
): Supervisor {
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const stop = (signal: NodeJS.Signals = 'SIGTERM') => {
    stopping = true;
    for (const child of children.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  };
  const exits: Promise<number>[] = [];
  for (const spec of specs) {
    const child = spawn(
      process.execPath,
      [...(spec.nodeFlags ?? []), '--import', TSX, spec.entry, ...spec.args],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc', ...(options.sharedFds ?? [])],
        detached: true,
        env: spec.env ?? process.env,
      },
    );
    // Each service's log is appended to <name>.log; a terminal shows it only when asked to.
    const file = createWriteStream(join(logs.directory, `${spec.name}.log`), { flags: 'a', mode: 0o600 });
    let open = 2;
    for (const [from, to] of [
      [child.stdout, process.stdout],
      [child.stderr, process.stderr],
    ] as const) {
      from?.on('data', (chunk: Buffer) => {
        file.write(chunk);
        if (logs.echo) to.write(chunk);
      });
      from?.on('close', () => {
        open -= 1;
        if (open === 0) file.end();
      });
    }
    children.set(spec.name, child);
    exits.push(
      once(child, 'exit').then(([code, signal]) => {
        const status = typeof code === 'number' ? code : signal ? 128 : 1;
        onExit(spec.name, status);
        if (!stopping) stop();
        return status;
      }),
    );
  }
  const exited = Promise.all(exits).then((codes) => codes.find((code) => code !== 0) ?? 0);
  return { children, exited, stop };
}

/** Polls `url` until it answers 2xx, a child exits, or `timeoutMs` passes. */
export async function waitUntilReady(
  url: string,
  exited: Promise<unknown>,
  timeoutMs = 60_000,
): Promise<boolean> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!gone && Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
