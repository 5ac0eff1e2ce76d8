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
  OrganizationService,
  organizationService,
  WorkflowRunService,
  workflowRunService,
} from '@cairn/api';
import {
  addOperationalServices,
  type GrpcCalls,
  listenGrpc,
  type RunningGrpcServer,
  type ServingState,
} from '@cairn/service-runtime';
import { type MethodDefinition, Server } from '@grpc/grpc-js';
import type { ApiTokenService } from '../service/api-token-service.js';
import type { AttestationService as Attestations } from '../service/attestation-service.js';
import type { CallContext, CallerContext } from '../service/call-context.js';
import type { CasBackendService } from '../service/cas-backend-service.js';
import type { CasCredentialsService } from '../service/cas-credentials-service.js';
import type { CasMappingService } from '../service/cas-mapping-service.js';
import type { OrganizationService as Organizations } from '../service/organization-service.js';
import type { WorkflowRunService as WorkflowRuns } from '../service/workflow-run-service.js';
import { callerContext, organizationContext } from './interceptors.js';

export interface Services {
  readonly backends: CasBackendService;
  readonly credentials: CasCredentialsService;
  readonly mapping: CasMappingService;
  readonly tokens: ApiTokenService;
  readonly organizations: Organizations;
  readonly attestations: Attestations;
  readonly runs: WorkflowRuns;
}

const SERVED = [
  CASBackendService,
  CASCredentialsService,
  CASMappingService,
  APITokenService,
  OrganizationService,
  AttestationService,
  WorkflowRunService,
];

export async function startGrpcServer(
  host: string,
  port: number,
  calls: GrpcCalls,
  services: Services,
  state: ServingState,
): Promise<RunningGrpcServer> {
  const server = new Server();
  // Methods on one organisation's data refuse admin tokens; the organisation and token services take both.
  const handle = <Req, Res>(
    method: MethodDefinition<Req, Res>,
    handler: (ctx: CallContext, request: Req) => Promise<Res>,
  ) => calls.unary(method, (call, request) => handler(organizationContext(call), request));
  const handleAnyCaller = <Req, Res>(
    method: MethodDefinition<Req, Res>,
    handler: (ctx: CallerContext, request: Req) => Promise<Res>,
  ) => calls.unary(method, (call, request) => handler(callerContext(call), request));
  const { backends, credentials, mapping, tokens, organizations, attestations, runs } = services;
  server.addService(casBackendService, {
    list: handle(casBackendService.list, (ctx) => backends.list(ctx)),
    get: handle(casBackendService.get, (ctx, request) => backends.get(ctx, request)),
    create: handle(casBackendService.create, (ctx, request) => backends.create(ctx, request)),
    update: handle(casBackendService.update, (ctx, request) => backends.update(ctx, request)),
    delete: handle(casBackendService.delete, (ctx, request) => backends.delete(ctx, request)),
    revalidate: handle(casBackendService.revalidate, (ctx, request) => backends.revalidate(ctx, request)),
  });
  server.addService(casCredentialsService, {
    get: handle(casCredentialsService.get, (ctx, request) => credentials.get(ctx, request)),
  });
  server.addService(casMappingService, {
    record: handle(casMappingService.record, (ctx, request) => mapping.record(ctx, request)),
  });
  // These two serve admin tokens as well; every other service refuses them.
  server.addService(apiTokenService, {
    create: handleAnyCaller(apiTokenService.create, (ctx, request) => tokens.create(ctx, request)),
    list: handleAnyCaller(apiTokenService.list, (ctx, request) => tokens.list(ctx, request)),
    revoke: handleAnyCaller(apiTokenService.revoke, (ctx, request) => tokens.revoke(ctx, request)),
  });
  server.addService(organizationService, {
    create: handleAnyCaller(organizationService.create, (ctx, request) => organizations.create(ctx, request)),
    list: handleAnyCaller(organizationService.list, (ctx) => organizations.list(ctx)),
  });
  server.addService(attestationService, {
    init: handle(attestationService.init, (ctx, request) => attestations.init(ctx, request)),
    getUploadCreds: handle(attestationService.getUploadCreds, (ctx, request) =>
      attestations.getUploadCreds(ctx, request),
    ),
    addMaterial: handle(attestationService.addMaterial, (ctx, request) =>
      attestations.addMaterial(ctx, request),
    ),
    getRun: handle(attestationService.getRun, (ctx, request) => attestations.getRun(ctx, request)),
    reset: handle(attestationService.reset, (ctx, request) => attestations.reset(ctx, request)),
    store: handle(attestationService.store, (ctx, request) => attestations.store(ctx, request)),
    get: handle(attestationService.get, (ctx, request) => attestations.get(ctx, request)),
  });
  server.addService(workflowRunService, {
    list: handle(workflowRunService.list, (ctx, request) => runs.list(ctx, request)),
  });
  addOperationalServices(server, state, SERVED);
  return listenGrpc(server, host, port);
}
