import type { DescService } from '@bufbuild/protobuf';
import {
  BackendService,
  ByteStream,
  backendService,
  byteStream,
  ResourceService,
  resourceService,
} from '@cairn/api';
import type { Logger } from '@cairn/observability';
import {
  addOperationalServices,
  type GrpcCalls,
  listenGrpc,
  type RunningGrpcServer,
  type ServingState,
} from '@cairn/service-runtime';
import { Server } from '@grpc/grpc-js';
import type { BackendServiceImpl } from '../service/backend-service.js';
import type { ByteStreamService } from '../service/bytestream-service.js';
import type { ResourceServiceImpl } from '../service/resource-service.js';
import { raiseServerFlowControlWindows } from './flow-control.js';
import { casContext } from './interceptors.js';

export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  readonly connectionWindowBytes: number;
  readonly streamWindowBytes: number;
}

const SERVED: readonly DescService[] = [ByteStream, ResourceService, BackendService];

/** The CAS's gRPC server: ByteStream, ResourceService, BackendService, health and reflection. */
export async function startGrpcServer(
  options: GrpcServerOptions,
  calls: GrpcCalls,
  services: { byteStream: ByteStreamService; resources: ResourceServiceImpl; backends: BackendServiceImpl },
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

  const { byteStream: bytes, resources, backends } = services;
  server.addService(byteStream, {
    write: calls.clientStream(byteStream.write, (call, requests) => bytes.write(casContext(call), requests)),
    read: calls.serverStream(byteStream.read, (call, request) => bytes.read(casContext(call), request)),
    queryWriteStatus: calls.unary(byteStream.queryWriteStatus, (call, request) =>
      bytes.queryWriteStatus(casContext(call), request),
    ),
  });
  server.addService(resourceService, {
    describe: calls.unary(resourceService.describe, (call, request) =>
      resources.describe(casContext(call), request),
    ),
    findMissing: calls.unary(resourceService.findMissing, (call, request) =>
      resources.findMissing(casContext(call), request),
    ),
  });
  server.addService(backendService, {
    checkWriteAccess: calls.unary(backendService.checkWriteAccess, (call) =>
      backends.checkWriteAccess(casContext(call)),
    ),
  });
  addOperationalServices(server, state, SERVED);
  return listenGrpc(server, options.host, options.port);
}
