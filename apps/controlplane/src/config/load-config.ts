import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { type ControlPlaneConfig, createConfig } from './config.js';

/** Reads the JSON config file (if any), applies environment overrides and fills the defaults. */
export async function loadConfig(
  options: {
    file?: string;
    env?: Readonly<Record<string, string | undefined>>;
    cwd?: string;
    signal?: AbortSignal;
  } = {},
): Promise<ControlPlaneConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? (env.CAIRN_CONTROLPLANE_CONFIG || undefined);
  if (file === undefined) return createConfig({}, env, cwd);
  const path = resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    throw CairnError.from(error, Code.FailedPrecondition, `cannot read the config file ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text around the error, which may be a secret: say where only.
    throw new CairnError(Code.InvalidArgument, `the config file ${path} is not valid JSON`);
  }
  return createConfig(parsed, env, dirname(path));
}
