// The light entry `@cairn/controlplane/client`: only the typed client, for the CLI and other callers
// that must not load the server (database drivers, providers, secret stores). Imports nothing outside
// this folder but @cairn/api, @cairn/errors, @bufbuild/protobuf and @grpc/grpc-js (checked by a test).
export {
  type ControlPlaneClient,
  type ControlPlaneClientOptions,
  type CreateApiTokenInput,
  type CreateBackendInput,
  createControlPlaneClient,
  type UpdateBackendInput,
} from './controlplane-client.js';
