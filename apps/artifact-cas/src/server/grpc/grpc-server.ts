import type { DescService } from '@bufbuild/protobuf';
import {
  ByteStream,
  byteStream,
  health,
  healthService,
  ResourceService,
  reflection,
  reflectionService,
  resourceService,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ByteStreamService } from '../../service/bytestream-service.js';
import type { ResourceServiceImpl } from '../../service/resource-service.js';
import type { ServingState } from '../serving-state.js';
import { raiseServerFlowControlWindows } from './flow-control.js';
import type { GrpcCalls } from './grpc-calls.js';
import { createHealthService } from './health.js';
import { createReflection } from './reflection.js';

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly connectionWindowBytes: number;
  readonly streamWindowBytes: number;
}

export interface RunningGrpcServer {
  /** `host:port` as clients dial it. */
  readonly address: string;
  /** Stops taking calls and lets running ones finish; resolves when they did. */
  drain(): Promise<void>;
  /** Ends every connection now. */
  forceStop(): void;
}

const SERVED: readonly DescService[] = [
  ByteStream,
  ResourceService,
  health.Health,
  reflection.ServerReflection,
];

/** Builds the grpc-js server with every CAS service and binds it. */
export async function startGrpcServer(
  options: GrpcServerOptions,
  calls: GrpcCalls,
  services: { byteStream: ByteStreamService; resources: ResourceServiceImpl },
  state: ServingState,
  logger: Logger,
): Promise<RunningGrpcServer> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': options.maxMessageBytes,
  });
  const hooked = raiseServerFlowControlWindows(server, {
    connectionWindowBytes: options.connectionWindowBytes,
    streamWindowBytes: options.streamWindowBytes,
  });
  if (!hooked.applied)
    logger.warn('gRPC serves with default HTTP/2 windows (slower)', { reason: hooked.reason });

  const { byteStream: bytes, resources } = services;
  server.addService(byteStream, {
    write: calls.clientStream(byteStream.write, (ctx, requests) => bytes.write(ctx, requests)),
    read: calls.serverStream(byteStream.read, (ctx, request) => bytes.read(ctx, request)),
    queryWriteStatus: calls.unary(byteStream.queryWriteStatus, (ctx, request) =>
      bytes.queryWriteStatus(ctx, request),
    ),
  });
  server.addService(resourceService, {
    describe: calls.unary(resourceService.describe, (ctx, request) => resources.describe(ctx, request)),
    findMissing: calls.unary(resourceService.findMissing, (ctx, request) =>
      resources.findMissing(ctx, request),
    ),
  });
  // Health and reflection reveal nothing about blobs: they need no token, like /healthz.
  server.addService(
    healthService,
    createHealthService(
      state,
      SERVED.map((service) => service.typeName),
    ),
  );
  server.addService(reflectionService, { serverReflectionInfo: createReflection(SERVED).handler });

  const host =
    options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (error, bound) =>
      error
        ? reject(
            new CairnError(
              Code.Unavailable,
              `cannot listen for gRPC on ${host}:${options.port} (${error.message}); choose another grpc.port`,
            ),
          )
        : resolve(bound),
    ),
  );

  return {
    address: `${host}:${port}`,
    drain: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
    forceStop: () => server.forceShutdown(),
  };
}
