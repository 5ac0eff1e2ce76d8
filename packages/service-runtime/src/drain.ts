import type { Logger } from '@cairn/observability';
import type { RunningGrpcServer } from './grpc-server.js';
import type { RunningHttpServer } from './http-server.js';
import type { InFlight } from './in-flight.js';
import type { ServingState } from './serving-state.js';

/** How long finished calls may take to flush their last bytes during a shutdown. */
const FLUSH_MS = 2_000;

export interface DrainOptions {
  /** `artifact CAS`, `control plane`: named in logs and in the refusal of calls cut at the end. */
  readonly service: string;
  readonly state: ServingState;
  readonly inFlight: InFlight;
  readonly graceMs: number;
  readonly grpc: RunningGrpcServer;
  readonly http: RunningHttpServer;
  readonly logger: Logger;
}

/**
 * A graceful stop, the same for every service: report not ready (load balancers stop sending), stop
 * accepting, let running calls finish within the grace, cancel what is left (UNAVAILABLE: retry elsewhere),
 * end health watches, give the last responses a moment to reach their clients, then cut the connections.
 * The caller closes its own resources afterwards.
 */
export async function drainService(options: DrainOptions): Promise<void> {
  const { state, inFlight, grpc, http, logger } = options;
  state.set('draining');
  logger.info('draining', { in_flight: inFlight.size, grace_ms: options.graceMs });
  const grpcDrained = grpc.drain();
  http.stopAccepting();
  if (!(await inFlight.drained(options.graceMs))) {
    logger.warn('shutdown grace ended; canceling running calls', { in_flight: inFlight.size });
    inFlight.cancelAll(options.service);
    await inFlight.drained(FLUSH_MS);
  }
  // Every call has ended; health watches end now, which lets the gRPC drain finish.
  state.set('stopped');
  http.closeIdle();
  await Promise.all([within(grpcDrained, FLUSH_MS), within(http.closed(), FLUSH_MS)]);
  grpc.forceStop();
  http.forceStop();
}

async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
