export { type BootstrapResult, bootstrapOrganization } from './app/bootstrap.js';
export { type KeyRotation, rotateSigningKeys } from './app/rotate-keys.js';
export {
  type RunningControlPlane,
  type StartControlPlaneOptions,
  startControlPlane,
} from './app/start.js';
export * from './biz/index.js';
export {
  CONTROL_PLANE_ENVIRONMENT,
  type ControlPlaneConfig,
  createConfig,
  type SecretsConfig,
} from './config/config.js';
export { loadConfig } from './config/load-config.js';
export { type DatabaseConfig, DataStore, Repositories } from './data/index.js';
