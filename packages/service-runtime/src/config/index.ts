// Configuration of a Cairn service: one zod schema with its defaults and descriptions, a JSON file, and
// environment variables each mapped to a key; see config-loader.ts for the rules every service shares.
export { type ConfigSource, configError } from './config-error.js';
export {
  type CheckSettingsOptions,
  type ConfigSpec,
  checkSettings,
  defineConfig,
  type LoadConfigOptions,
  loadConfig,
  type ParseConfigOptions,
  parseConfig,
  type ReadConfigFileOptions,
  readConfigFile,
  resolveConfigPath,
} from './config-loader.js';
export {
  environmentHelp,
  environmentSummary,
  generatedPart,
  otherVariablesTable,
  partOf,
  replaceParts,
  type SettingRow,
  serviceReference,
  settingRows,
  settingsTable,
} from './config-reference.js';
export type { ConfigVariable, ConfigVariables, Environment } from './environment.js';
export type { SettingMeta } from './schema-info.js';
export { DAY_MS, integerSetting, listenHost, listenPort, pathSetting } from './settings.js';
