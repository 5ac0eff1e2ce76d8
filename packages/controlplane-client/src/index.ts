// The control plane's typed client, for the CLI and other callers that must not load the server
// (database drivers, providers, secret stores). Imports nothing but @cairn/api, @cairn/errors,
// @bufbuild/protobuf and @grpc/grpc-js (checked by a test).
export {
  type ApiTokenScope,
  type ApiTokenSpec,
  type AttestationRef,
  type BackendSpec,
  type BackendUpdate,
  type ControlPlaneClient,
  type ControlPlaneClientOptions,
  createControlPlaneClient,
  type MaterialKindName,
  type MaterialSource,
  type MaterialSpec,
  type RunFilter,
  type RunInit,
  type RunStateName,
} from './controlplane-client.js';
