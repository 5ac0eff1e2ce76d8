import { type LoadConfigOptions, loadConfig } from '@cairn/service-runtime/config';
import { CAS_CONFIG, type CasConfig } from './config.js';

export { CAS_ENVIRONMENT } from './config.js';

/**
 * `file`: the config file named on the command line (`--config`); without it, CAIRN_CAS_CONFIG names one.
 * `env`: where overrides come from (default `process.env`); `cwd`: where relative paths resolve when no
 * config file is given.
 */
export type LoadCasConfigOptions = LoadConfigOptions;

/** Reads the config file (if any), applies environment overrides, merges defaults and checks the result. */
export async function loadCasConfig(options: LoadCasConfigOptions = {}): Promise<CasConfig> {
  return loadConfig(CAS_CONFIG, options);
}
