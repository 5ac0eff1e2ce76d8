import { ResourceService } from './gen/cairn/cas/v1/resource_pb.js';
import { APITokenService } from './gen/cairn/controlplane/v1/api_token_pb.js';
import { CASBackendService } from './gen/cairn/controlplane/v1/cas_backend_pb.js';
import { CASCredentialsService } from './gen/cairn/controlplane/v1/cas_credentials_pb.js';
import { CASMappingService } from './gen/cairn/controlplane/v1/cas_mapping_pb.js';
import { ByteStream } from './gen/google/bytestream/bytestream_pb.js';
import { Health } from './gen/grpc/health/v1/health_pb.js';
import { ServerReflection } from './gen/grpc/reflection/v1/reflection_pb.js';
import { grpcServiceOf } from './grpc-service.js';

export const byteStream = grpcServiceOf(ByteStream);
export const resourceService = grpcServiceOf(ResourceService);
export const healthService = grpcServiceOf(Health);
export const reflectionService = grpcServiceOf(ServerReflection);
export const apiTokenService = grpcServiceOf(APITokenService);
export const casBackendService = grpcServiceOf(CASBackendService);
export const casCredentialsService = grpcServiceOf(CASCredentialsService);
export const casMappingService = grpcServiceOf(CASMappingService);
