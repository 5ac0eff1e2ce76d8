// The light entry `@cairn/controlplane/client`: only the typed client, for the CLI and other callers
// that must not load the server (database drivers, providers, secret stores). Imports nothing outside
// this folder but @cairn/api, @cairn/errors, @bufbuild/protobuf and @grpc/grpc-js (checked by a test).
export {
  type ApiTokenSpec,
  type BackendSpec,
  type BackendUpdate,
  type ControlPlaneClient,
  type ControlPlaneClientOptions,
  createControlPlaneClient,
} from './controlplane-client.js';
