export { type BootstrapResult, bootstrapOrganization } from './app/bootstrap.js';
export {
  type RunningControlPlane,
  type StartControlPlaneOptions,
  startControlPlane,
} from './app/control-plane.js';
export * from './biz/index.js';
export {
  type ControlPlaneClient,
  type ControlPlaneClientOptions,
  createControlPlaneClient,
} from './client/index.js';
export {
  CONTROL_PLANE_ENVIRONMENT,
  type ControlPlaneConfig,
  createConfig,
  type SecretsConfig,
} from './config/config.js';
export { loadConfig } from './config/load-config.js';
export { type DatabaseConfig, DataStore, Repositories } from './data/index.js';
