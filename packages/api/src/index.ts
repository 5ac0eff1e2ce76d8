export * from './gen/cairn/cas/v1/backend_pb.js';
export * from './gen/cairn/cas/v1/resource_pb.js';
export * from './gen/cairn/controlplane/v1/api_token_pb.js';
export * from './gen/cairn/controlplane/v1/attestation_pb.js';
export * from './gen/cairn/controlplane/v1/cas_backend_pb.js';
export * from './gen/cairn/controlplane/v1/cas_credentials_pb.js';
export * from './gen/cairn/controlplane/v1/cas_mapping_pb.js';
export * from './gen/cairn/controlplane/v1/organization_pb.js';
export * from './gen/cairn/controlplane/v1/workflow_run_pb.js';
export * from './gen/google/bytestream/bytestream_pb.js';
export * as health from './gen/grpc/health/v1/health_pb.js';
export * as reflection from './gen/grpc/reflection/v1/reflection_pb.js';
export { type GrpcService, grpcServiceOf, withEncoding } from './grpc-service.js';
export {
  DETAILS_TRAILER,
  fromGrpcError,
  type GrpcPeer,
  grpcStatusOf,
  isServiceError,
  REASON_TRAILER,
  UNREACHABLE,
} from './grpc-status.js';
export { BUFFERED_MESSAGES, limitMessageBuffering } from './message-buffering.js';
export {
  apiTokenService,
  attestationService,
  backendService,
  byteStream,
  casBackendService,
  casCredentialsService,
  casMappingService,
  healthService,
  organizationService,
  reflectionService,
  resourceService,
  workflowRunService,
} from './services.js';
