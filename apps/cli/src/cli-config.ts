import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';

/** `.cairn/cli.json`, written by `npm start` so the CLI works with no flags beside it. */
export interface CliConfig {
  readonly cas?: { readonly grpc?: string; readonly http?: string };
  /** The control plane that issues CAS tokens, written by the control plane of `npm start`. */
  readonly controlplane?: ControlPlaneSection;
  readonly dev?: DevConfig;
}

export interface ControlPlaneSection {
  /** `host:port` of its gRPC endpoint. */
  readonly grpc?: string;
  /** The organisation the API token belongs to (shown, not sent). */
  readonly organization?: string;
  /** An API token (`cairn_...`); the file is 0600 because of it. */
  readonly apiToken?: string;
}

/** What the local development key may sign: the embedded default's organisation and backend. */
export interface DevConfig {
  readonly signingKeyFile: string;
  readonly issuer: string;
  readonly audience: string;
  readonly org: string;
  readonly backend: { readonly id: string; readonly provider: string; readonly location: string };
  readonly secret: string;
  readonly maxBytes: number;
}

export interface LoadedCliConfig {
  /** The `.cairn` directory it came from; relative paths inside are read from the folder that holds it. */
  readonly home: string;
  readonly config: CliConfig;
}

export const CLI_CONFIG_FILE = 'cli.json';

/**
 * Finds `.cairn/cli.json` in `cwd` or the nearest parent, or in `$CAIRN_HOME` (the `.cairn` directory
 * itself) when that is set. Undefined when there is none: flags and environment may be enough.
 */
export async function loadCliConfig(
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedCliConfig | undefined> {
  const explicitHome = env.CAIRN_HOME;
  if (explicitHome !== undefined && explicitHome !== '') {
    const home = resolve(cwd, explicitHome);
    const config = await readConfig(join(home, CLI_CONFIG_FILE));
    if (config === undefined) {
      throw new CairnError(
        Code.FailedPrecondition,
        `CAIRN_HOME is ${explicitHome} but it holds no ${CLI_CONFIG_FILE}; point it at the .cairn folder of a running \`npm start\`, or unset it`,
      );
    }
    return { home, config };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const home = join(dir, '.cairn');
    const config = await readConfig(join(home, CLI_CONFIG_FILE));
    if (config !== undefined) return { home, config };
    if (dirname(dir) === dir) return undefined;
  }
}

async function readConfig(path: string): Promise<CliConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new CairnError(
      Code.FailedPrecondition,
      `cannot read ${path} (${String(code)}); check its permissions`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CairnError(
      Code.FailedPrecondition,
      `${path} is not valid JSON; fix it or run \`npm start\` again to rewrite it`,
    );
  }
  return checkConfig(parsed, path);
}

function checkConfig(value: unknown, path: string): CliConfig {
  const invalid = (what: string) =>
    new CairnError(
      Code.FailedPrecondition,
      `${path}: ${what}; fix it or run \`npm start\` again to rewrite it`,
    );
  if (!isRecord(value)) throw invalid('expected a JSON object');
  const { cas, controlplane, dev } = value;
  if (cas !== undefined && !isRecord(cas)) throw invalid('"cas" must be an object');
  if (controlplane !== undefined) {
    if (!isRecord(controlplane)) throw invalid('"controlplane" must be an object');
    for (const key of ['grpc', 'organization', 'apiToken'] as const) {
      const field = controlplane[key];
      if (field !== undefined && typeof field !== 'string')
        throw invalid(`"controlplane.${key}" must be a string`);
    }
  }
  if (dev !== undefined) {
    if (!isRecord(dev)) throw invalid('"dev" must be an object');
    for (const key of ['signingKeyFile', 'issuer', 'audience', 'org', 'secret'] as const) {
      if (typeof dev[key] !== 'string') throw invalid(`"dev.${key}" must be a string`);
    }
    const backend = dev.backend;
    if (
      !isRecord(backend) ||
      ['id', 'provider', 'location'].some((key) => typeof backend[key] !== 'string')
    ) {
      throw invalid('"dev.backend" must have string "id", "provider" and "location"');
    }
    if (typeof dev.maxBytes !== 'number' || !Number.isSafeInteger(dev.maxBytes) || dev.maxBytes < 0) {
      throw invalid('"dev.maxBytes" must be a whole number of bytes');
    }
  }
  return value as CliConfig;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
