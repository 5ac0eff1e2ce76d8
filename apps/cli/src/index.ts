export { runCli } from './cli.js';
export { type CliConfig, type DevConfig, loadCliConfig } from './cli-config.js';
export { ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';
export type { CasTokenSource, TokenRequest } from './tokens/token-source.js';
