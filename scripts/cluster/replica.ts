import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { waitUntilReady } from '../embedded/supervisor.js';

/** tsx as this repository has it, so replicas start from any working directory. */
const TSX = import.meta.resolve('tsx');

export interface ReplicaSpec {
  /** `cp-1`, `cas-2`, …: names its log file and its HAProxy server line. */
  readonly name: string;
  /** TypeScript entry run with `node --import tsx`. */
  readonly entry: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly nodeFlags?: readonly string[];
  /** Its HTTP readiness probe (`/readyz`), polled by `start`. */
  readonly readyUrl: string;
  /** Its Prometheus metrics (`/metrics`), where `killDuringCall` sees the calls it is serving. */
  readonly metricsUrl: string;
  /** Appended to across restarts, so a killed replica's last lines stay readable. */
  readonly logFile: string;
}

/**
 * One service process of the cluster, which a test may kill with SIGKILL and start again. Replicas hold
 * an IPC channel to this process: if it dies, they notice and stop, so no run leaves servers behind.
 */
export class Replica {
  #child: ChildProcess | undefined;
  #exited: Promise<unknown> = Promise.resolve();
  /** How often this replica was started; the test reads it to know a restart happened. */
  starts = 0;

  constructor(readonly spec: ReplicaSpec) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the process and waits until its readiness probe answers 200 (at most `timeoutMs`). */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    const { spec } = this;
    const log = createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 });
    const child = spawn(
      process.execPath,
      [...(spec.nodeFlags ?? []), '--import', TSX, spec.entry, ...spec.args],
      {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: spec.env,
      },
    );
    this.#child = child;
    this.starts += 1;
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.#exited = once(child, 'exit').finally(() => log.end());
    if (await waitUntilReady(spec.readyUrl, this.#exited, timeoutMs)) return;
    if (!this.running) throw new Error(`${spec.name} exited while starting; see ${spec.logFile}`);
    throw new Error(`${spec.name} was not ready within ${timeoutMs} ms; see ${spec.logFile}`);
  }

  /** `kill -9`: no drain, no goodbye, as a machine failing would. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGKILL');
    await this.#exited;
  }

  /**
   * `kill -9` while it serves at least one gRPC call, so the death lands in the middle of someone's
   * request rather than between two; at once if none came within `waitMs`. Returns whether one was.
   */
  async killDuringCall(waitMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    let serving = false;
    while (this.running && Date.now() < deadline) {
      serving = (await this.grpcCallsInFlight()) > 0;
      if (serving) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await this.kill();
    return serving;
  }

  /** The `*_in_flight_calls{transport="grpc"}` gauge; 0 when the replica does not answer. */
  async grpcCallsInFlight(): Promise<number> {
    try {
      const response = await fetch(this.spec.metricsUrl, { signal: AbortSignal.timeout(1_000) });
      const text = await response.text();
      const line = /^\w+_in_flight_calls\{transport="grpc"\} (\d+)/m.exec(text);
      return Number(line?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** SIGTERM: drains and exits; SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.#child?.kill('SIGTERM');
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
