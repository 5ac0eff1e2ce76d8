import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PORT_RANGES, portPicker } from '@cairn/backends/testing';
import { withMallocTunables } from '@cairn/malloc-tunables';

/** The repository root, where the services' entry points live. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Every child any test of this process started and has not seen exit: killed when the process exits. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface ServiceSpec {
  /** For messages: "CAS", "control plane". */
  readonly name: string;
  /** Entry point, relative to the repository root. */
  readonly entry: string;
  readonly args: readonly string[];
  /** Options for node before `--import tsx` (the CAS's V8 flags). */
  readonly nodeFlags?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Its output is appended here (one JSON line per event). */
  readonly logFile: string;
  /** Answers 200 once the service serves. */
  readonly readyUrl: string;
}

/**
 * A Cairn service run as its own process (`node --import tsx <entry>`), as `npm start` and the image run
 * it, so a test can end it the hard way: `kill()` is SIGKILL, with no chance to clean up.
 */
export class ServiceProcess {
  readonly #spec: ServiceSpec;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(spec: ServiceSpec) {
    this.#spec = spec;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and resolves, with how long it took, once `readyUrl` answers 200. */
  async start(timeoutMs = 60_000): Promise<number> {
    if (this.#child) throw new Error(`${this.#spec.name} is running already`);
    const started = performance.now();
    const log = await open(this.#spec.logFile, 'a');
    const child = spawn(
      process.execPath,
      [...(this.#spec.nodeFlags ?? []), '--import', TSX, this.#spec.entry, ...this.#spec.args],
      {
        cwd: REPO_ROOT,
        env: withMallocTunables({ ...process.env, ...this.#spec.env }),
        // An IPC channel: both services stop (as on SIGTERM) when it closes, so a test process that dies
        // without running its cleanup does not leave them running.
        stdio: ['ignore', log.fd, log.fd, 'ipc'],
      },
    );
    await log.close();
    this.#child = child;
    live.add(child);
    // The channel must not keep this process alive.
    child.channel?.unref();
    this.#exited = once(child, 'exit').then(() => {
      live.delete(child);
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child !== child) {
        throw new Error(`${this.#spec.name} exited while starting:\n${await this.logTail()}`);
      }
      try {
        const response = await fetch(this.#spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.kill();
    throw new Error(`${this.#spec.name} was not ready within ${timeoutMs} ms:\n${await this.logTail()}`);
  }

  /** SIGKILL: the process ends at once, in the middle of whatever it was doing. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (a graceful drain), SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** The log's JSON lines (anything else, such as a stack trace, is skipped). */
  async logLines(): Promise<Record<string, unknown>[]> {
    const text = await readFile(this.#spec.logFile, 'utf8').catch(() => '');
    return text.split('\n').flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return parsed !== null && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
      } catch {
        return [];
      }
    });
  }

  async logTail(lines = 40): Promise<string> {
    const text = await readFile(this.#spec.logFile, 'utf8').catch(() => '(no log)');
    return text.split('\n').slice(-lines).join('\n');
  }
}

const freePort = portPicker(PORT_RANGES.systemTests);

/** Distinct TCP ports free on 127.0.0.1 now, outside the ephemeral range. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let index = 0; index < count; index += 1) ports.push(await freePort());
  return ports;
}
