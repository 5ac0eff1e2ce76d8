import { Client, credentials, Metadata, type MethodDefinition } from '@grpc/grpc-js';
import { cpuTimesOf, machineTicks, TICKS_PER_SECOND } from '../sample.js';

/** Where the CPU went during the measured window, per completed call. */
export interface CpuPerCall {
  /** The serving process (control plane, bare server); undefined when it is not one process (PostgreSQL). */
  readonly serverMs: number | undefined;
  /** This process: the clients. */
  readonly clientMs: number;
  /** Every process on the machine, the kernel's work included (other engineers' too: the machine is shared). */
  readonly machineMs: number;
  /** Share of all cores' time that was busy. */
  readonly busy: number;
  /**
   * Calls per second the machine's cores allow at this CPU cost per call: cores ÷ machine CPU per call.
   * When `busy` is near 1 the measured rate sits at this bound, whatever the server does.
   */
  readonly bound: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpu: CpuPerCall;
  /** The first error seen, to say why errors happened. */
  readonly firstError?: string;
}

/** One gRPC client per simulated caller, each on its own connection (as separate CLI processes would be). */
export function benchClients(address: string, count: number): Client[] {
  return Array.from(
    { length: count },
    () => new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );
}

export function unaryCall<Req, Res>(
  client: Client,
  method: MethodDefinition<Req, Res>,
  request: Req,
  metadata: Metadata,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      (error, response) => (error || response === undefined ? reject(error) : resolve(response)),
    ),
  );
}

export interface LoadOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** The serving process whose CPU is counted, if it is one. */
  readonly serverPid?: number;
  readonly cores: number;
  /**
   * Calls per second offered by all workers together, each worker starting its calls on a schedule of its
   * own (staggered) instead of back to back. A call's latency is counted from its scheduled start, so a
   * worker that falls behind counts the wait too (no coordinated omission). Unset: back to back.
   */
  readonly ratePerSecond?: number;
}

/**
 * Every client calls `method` for `seconds` (after `warmupSeconds` not counted), back to back or at
 * `ratePerSecond`; returns completed calls per second and latency percentiles over the measured window.
 */
export function measureUnary<Req, Res>(
  clients: readonly Client[],
  method: MethodDefinition<Req, Res>,
  request: Req,
  apiToken: string,
  options: LoadOptions,
): Promise<LoadResult> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${apiToken}`);
  return measureLoop(
    clients.map((client) => () => unaryCall(client, method, request, metadata)),
    options,
  );
}

/** Each worker runs its call back to back or on its schedule; the window, percentiles and CPU accounting of measureUnary. */
export async function measureLoop(
  workers: ReadonlyArray<() => Promise<unknown>>,
  options: LoadOptions,
): Promise<LoadResult> {
  const { seconds, warmupSeconds } = options;
  const started = performance.now();
  const measureFrom = started + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let windowStart: Promise<CpuSnapshot> | undefined;
  const timer = setTimeout(() => {
    windowStart = cpuSnapshot(options.serverPid);
  }, warmupSeconds * 1000);
  const intervalMs =
    options.ratePerSecond === undefined ? 0 : (workers.length * 1000) / options.ratePerSecond;
  await Promise.all(
    workers.map(async (call, index) => {
      let scheduled = started + (intervalMs * index) / workers.length;
      for (;;) {
        if (intervalMs > 0) {
          const wait = scheduled - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        }
        const now = performance.now();
        const before = intervalMs > 0 ? scheduled : now;
        scheduled += intervalMs;
        if (now >= end) return;
        try {
          await call();
        } catch (error) {
          if (before >= measureFrom) errors++;
          firstError ??= error instanceof Error ? error.message : String(error);
          continue;
        }
        const after = performance.now();
        if (before >= measureFrom && after <= end) latencies.push(after - before);
      }
    }),
  );
  clearTimeout(timer);
  const windowEnd = await cpuSnapshot(options.serverPid);
  const first = await (windowStart ?? windowEnd);
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    cpu: cpuPerCall(first, windowEnd, latencies.length, options.cores),
    ...(firstError === undefined ? {} : { firstError }),
  };
}

interface CpuSnapshot {
  readonly server: number | undefined;
  readonly client: number;
  readonly busyTicks: number;
  readonly allTicks: number;
}

async function cpuSnapshot(serverPid: number | undefined): Promise<CpuSnapshot> {
  const [server, machine] = await Promise.all([
    serverPid === undefined ? undefined : cpuTimesOf(serverPid),
    machineTicks(),
  ]);
  const client = process.cpuUsage();
  return {
    server: server && server.user + server.system,
    client: (client.user + client.system) / 1e6,
    busyTicks: machine.busy,
    allTicks: machine.busy + machine.idle + machine.steal,
  };
}

function cpuPerCall(from: CpuSnapshot, to: CpuSnapshot, calls: number, cores: number): CpuPerCall {
  const perCallMs = (cpuSeconds: number) => (calls > 0 ? (cpuSeconds * 1000) / calls : 0);
  const busyTicks = to.busyTicks - from.busyTicks;
  const allTicks = to.allTicks - from.allTicks;
  const machineMs = perCallMs(busyTicks / TICKS_PER_SECOND);
  return {
    serverMs:
      from.server === undefined || to.server === undefined ? undefined : perCallMs(to.server - from.server),
    clientMs: perCallMs(to.client - from.client),
    machineMs,
    busy: allTicks > 0 ? busyTicks / allTicks : 0,
    bound: machineMs > 0 ? (cores * 1000) / machineMs : 0,
  };
}
