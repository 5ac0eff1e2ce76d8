import type { DescService } from '@bufbuild/protobuf';
import { health, healthService, reflection, reflectionService } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { type Server, ServerCredentials } from '@grpc/grpc-js';
import { createHealthService } from './health.js';
import { createReflection } from './reflection.js';
import type { ServingState } from './serving-state.js';

export interface RunningGrpcServer {
  /** `host:port` as clients dial it. */
  readonly address: string;
  /** Stops taking calls and lets running ones finish; resolves when they did. */
  drain(): Promise<void>;
  /** Ends every connection now. */
  forceStop(): void;
}

/**
 * Adds grpc.health.v1 and server reflection for `served` (plus themselves). They reveal nothing about
 * any organisation or blob, so they need no token, like /healthz.
 */
export function addOperationalServices(
  server: Server,
  state: ServingState,
  served: readonly DescService[],
): void {
  const all = [...served, health.Health, reflection.ServerReflection];
  server.addService(
    healthService,
    createHealthService(
      state,
      all.map((service) => service.typeName),
    ),
  );
  server.addService(reflectionService, { serverReflectionInfo: createReflection(all).handler });
}

/** Binds `server`; a port taken or an address unavailable is UNAVAILABLE saying which setting to change. */
export async function listenGrpc(server: Server, host: string, port: number): Promise<RunningGrpcServer> {
  const bindHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${bindHost}:${port}`, ServerCredentials.createInsecure(), (error, boundPort) =>
      error
        ? reject(
            new CairnError(
              Code.Unavailable,
              `cannot listen for gRPC on ${bindHost}:${port} (${error.message}); choose another grpc.port`,
            ),
          )
        : resolve(boundPort),
    ),
  );
  return {
    address: `${bindHost}:${bound}`,
    drain: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    forceStop: () => server.forceShutdown(),
  };
}
