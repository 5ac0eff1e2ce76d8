export { type RunningArtifactCas, type StartOptions, startArtifactCas } from './app/start.js';
export {
  CAS_CONFIG_DEFAULTS,
  type CasConfig,
  type CasConfigInit,
  createCasConfig,
} from './config/config.js';
export { CAS_ENVIRONMENT, type LoadCasConfigOptions, loadCasConfig } from './config/load-config.js';
export {
  clientFlowControlOptions,
  DEFAULT_FLOW_CONTROL_WINDOWS,
  type FlowControlWindows,
  raiseServerFlowControlWindows,
} from './server/flow-control.js';
