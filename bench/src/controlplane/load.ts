import { Client, credentials, Metadata, type MethodDefinition } from '@grpc/grpc-js';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
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

function call<Req, Res>(
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

/**
 * Every client calls `method` back to back for `seconds` (after `warmupSeconds` not counted); returns
 * completed calls per second and latency percentiles over the measured window.
 */
export async function measureUnary<Req, Res>(
  clients: readonly Client[],
  method: MethodDefinition<Req, Res>,
  request: Req,
  apiToken: string,
  seconds: number,
  warmupSeconds: number,
): Promise<LoadResult> {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${apiToken}`);
  const started = performance.now();
  const measureFrom = started + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  await Promise.all(
    clients.map(async (client) => {
      for (;;) {
        const before = performance.now();
        if (before >= end) return;
        try {
          await call(client, method, request, metadata);
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
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    ...(firstError === undefined ? {} : { firstError }),
  };
}
