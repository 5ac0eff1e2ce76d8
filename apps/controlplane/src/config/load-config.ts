import { type LoadConfigOptions, loadConfig as loadSettings } from '@cairn/service-runtime/config';
import { CONTROL_PLANE_CONFIG, type ControlPlaneConfig, completeConfig } from './config.js';

/**
 * Reads the JSON config file (`file`, else $CAIRN_CONTROLPLANE_CONFIG, if any), applies environment
 * overrides and fills the defaults.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<ControlPlaneConfig> {
  return completeConfig(await loadSettings(CONTROL_PLANE_CONFIG, options));
}
