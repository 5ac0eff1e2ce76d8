import {
  APITokenService,
  AttestationService,
  apiTokenService,
  attestationService,
  CASBackendService,
  CASCredentialsService,
  CASMappingService,
  casBackendService,
  casCredentialsService,
  casMappingService,
  health,
  healthService,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ApiTokenService } from '../service/api-token-service.js';
import type { AttestationService as Attestations } from '../service/attestation-service.js';
import type { CasBackendService } from '../service/cas-backend-service.js';
import type { CasCredentialsService } from '../service/cas-credentials-service.js';
import type { CasMappingService } from '../service/cas-mapping-service.js';
import { createHealthService, type ServingState } from './health.js';
import type { UnaryCalls } from './unary.js';

export interface Services {
  readonly backends: CasBackendService;
  readonly credentials: CasCredentialsService;
  readonly mapping: CasMappingService;
  readonly tokens: ApiTokenService;
  readonly attestations: Attestations;
}

export interface RunningGrpcServer {
  readonly address: string;
  /** Stops taking calls; resolves when running ones finished. */
  drain(): Promise<void>;
  forceStop(): void;
}

const SERVED = [
  CASBackendService,
  CASCredentialsService,
  CASMappingService,
  APITokenService,
  AttestationService,
  health.Health,
];

export async function startGrpcServer(
  host: string,
  port: number,
  calls: UnaryCalls,
  services: Services,
  state: ServingState,
): Promise<RunningGrpcServer> {
  const server = new Server();
  const { backends, credentials, mapping, tokens, attestations } = services;
  server.addService(casBackendService, {
    list: calls.handle(casBackendService.list, (ctx) => backends.list(ctx)),
    get: calls.handle(casBackendService.get, (ctx, request) => backends.get(ctx, request)),
    create: calls.handle(casBackendService.create, (ctx, request) => backends.create(ctx, request)),
    update: calls.handle(casBackendService.update, (ctx, request) => backends.update(ctx, request)),
    delete: calls.handle(casBackendService.delete, (ctx, request) => backends.delete(ctx, request)),
    revalidate: calls.handle(casBackendService.revalidate, (ctx, request) =>
      backends.revalidate(ctx, request),
    ),
  });
  server.addService(casCredentialsService, {
    get: calls.handle(casCredentialsService.get, (ctx, request) => credentials.get(ctx, request)),
  });
  server.addService(casMappingService, {
    record: calls.handle(casMappingService.record, (ctx, request) => mapping.record(ctx, request)),
  });
  server.addService(apiTokenService, {
    create: calls.handle(apiTokenService.create, (ctx, request) => tokens.create(ctx, request)),
    list: calls.handle(apiTokenService.list, (ctx) => tokens.list(ctx)),
    revoke: calls.handle(apiTokenService.revoke, (ctx, request) => tokens.revoke(ctx, request)),
  });
  server.addService(attestationService, {
    init: calls.handle(attestationService.init, (ctx, request) => attestations.init(ctx, request)),
    getUploadCreds: calls.handle(attestationService.getUploadCreds, (ctx, request) =>
      attestations.getUploadCreds(ctx, request),
    ),
    recordMaterial: calls.handle(attestationService.recordMaterial, (ctx, request) =>
      attestations.recordMaterial(ctx, request),
    ),
    store: calls.handle(attestationService.store, (ctx, request) => attestations.store(ctx, request)),
    get: calls.handle(attestationService.get, (ctx, request) => attestations.get(ctx, request)),
  });
  // Health reveals nothing about any organisation: it needs no token.
  server.addService(
    healthService,
    createHealthService(
      state,
      SERVED.map((service) => service.typeName),
    ),
  );

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
