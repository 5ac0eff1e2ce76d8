import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { type $ZodType, type output, safeParse } from 'zod/v4/core';
import { configError, issueError } from './config-error.js';
import {
  applyEnvironment,
  type ConfigVariables,
  type Environment,
  keysOfVariable,
  type Provenance,
  variablesFor,
} from './environment.js';
import {
  childSchema,
  defOf,
  expectation,
  infoOf,
  isPlainObject,
  optionFor,
  schemaOfAnyKind,
} from './schema-info.js';

/** A service's whole configuration: its schema (defaults and descriptions inside) and its variables. */
export interface ConfigSpec<Schema extends $ZodType = $ZodType> {
  /** How messages and docs name the service: "CAS", "control plane". */
  readonly service: string;
  /** One strict object schema; every default is given here, once. */
  readonly schema: Schema;
  /** The variable that names the config file when the command line names none (it sets no key). */
  readonly fileVariable: string;
  /** Every variable the service's configuration reads, in the order `--help` lists them. */
  readonly environment: ConfigVariables;
}

/**
 * Checks a spec once, where it is defined: every variable's key must be a key of the schema, so a
 * renamed setting cannot leave a variable that silently sets nothing.
 */
export function defineConfig<Schema extends $ZodType>(spec: ConfigSpec<Schema>): ConfigSpec<Schema> {
  if (!(spec.fileVariable in spec.environment))
    throw new Error(`${spec.service} config: ${spec.fileVariable} is not in its environment table`);
  for (const [name, variable] of Object.entries(spec.environment)) {
    for (const key of [...keysOfVariable(variable), ...(variable.replaces ?? [])]) {
      if (schemaOfAnyKind(spec.schema, key.split('.')) === undefined)
        throw new Error(`${spec.service} config: ${name} names ${key}, which is not a setting`);
    }
  }
  return spec;
}

export interface ParseConfigOptions {
  /** Variables to apply over `input`; none by default (a config built in code). */
  readonly env?: Environment;
  /** Where relative paths of the input resolve: the config file's folder. Default: `cwd`. */
  readonly baseDir?: string;
  /** The working directory, for variables whose paths resolve against it. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** How messages name the input: the file's path. Default: "the SERVICE config". */
  readonly source?: string;
}

/**
 * Applies the environment over `input`, checks the result against the schema, fills the defaults and
 * resolves relative paths. Every refusal is INVALID_ARGUMENT, one line naming the key and where its
 * value came from, never quoting a value.
 *
 * The rule for null and empty values, the same for every service: `null` in a file is refused (leave a
 * key out to get its default); an empty (or blank) string is refused for every string setting except the
 * ones whose schema says `allowEmpty` (an empty Vault prefix means none); an environment variable set to
 * "" counts as unset.
 */
export function parseConfig<Schema extends $ZodType>(
  spec: ConfigSpec<Schema>,
  input: unknown,
  options: ParseConfigOptions = {},
): output<Schema> {
  const cwd = options.cwd ?? process.cwd();
  const baseDir = options.baseDir ?? cwd;
  const source = options.source ?? `the ${spec.service} config`;
  if (!isPlainObject(input)) throw configError(source, '', 'must be a JSON object');
  const provenance: Provenance = new Map();
  const merged = applyEnvironment(spec.schema, input, spec.environment, options.env ?? {}, cwd, provenance);
  const checked = checkSettings(spec.schema, merged, {
    source,
    service: spec.service,
    provenance,
    variablesOf: (key) => variablesFor(spec.environment, key),
  });
  return resolvePaths(spec.schema, checked, baseDir) as output<Schema>;
}

export interface CheckSettingsOptions {
  /** How messages name where the value came from: a file's path. */
  readonly source: string;
  /** "is not a CAS setting". */
  readonly service: string;
  /** Keys whose values came from elsewhere (environment variables): messages name that instead. */
  readonly provenance?: ReadonlyMap<string, string>;
  /** The variables that would set a missing key. */
  readonly variablesOf?: (key: string) => readonly string[];
  /** The status of a refusal; INVALID_ARGUMENT unless the caller wrote the value itself. */
  readonly code?: Code;
  /** Appended to the message: what to do. */
  readonly advice?: string;
}

/**
 * Checks a value against a settings schema under the rules of `parseConfig` (null and empty values,
 * messages that name the key and source and quote no value) and fills its defaults. No environment, no
 * paths: `parseConfig` adds those for a service; the CLI checks `.cairn/cli.json` with this alone.
 */
export function checkSettings<Schema extends $ZodType>(
  schema: Schema,
  value: unknown,
  options: CheckSettingsOptions,
): output<Schema> {
  const { source, provenance } = options;
  const sourceOf = (key: string) => {
    for (let path = key; path !== ''; path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '') {
      const variable = provenance?.get(path);
      if (variable !== undefined) return variable;
    }
    return source;
  };
  try {
    if (!isPlainObject(value)) throw configError(source, '', 'must be a JSON object');
    refuseEmptyStrings(schema, value, [], sourceOf);
    const result = safeParse(schema, value, { reportInput: true });
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    if (issue === undefined) throw configError(source, '', 'is not valid');
    throw issueError(issue, {
      schema,
      input: value,
      service: options.service,
      sourceOf,
      ...(options.variablesOf ? { variablesOf: options.variablesOf } : {}),
    });
  } catch (error) {
    if (!(error instanceof CairnError) || (options.code === undefined && options.advice === undefined))
      throw error;
    throw new CairnError(options.code ?? error.code, `${error.message}${options.advice ?? ''}`, {
      details: { ...error.details },
    });
  }
}

export interface LoadConfigOptions {
  /** The config file named on the command line (`--config`); without it, the spec's file variable names one. */
  readonly file?: string | undefined;
  /** Environment to read overrides from; defaults to `process.env`. */
  readonly env?: Environment;
  /** Directory relative paths are resolved against when no config file is given. */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

/**
 * Reads the config file (if any: `file`, else the spec's file variable), then `parseConfig`. An unreadable
 * file is FAILED_PRECONDITION; a file that is not a JSON object is INVALID_ARGUMENT.
 */
export async function loadConfig<Schema extends $ZodType>(
  spec: ConfigSpec<Schema>,
  options: LoadConfigOptions = {},
): Promise<output<Schema>> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.file ?? env[spec.fileVariable];
  if (named === undefined || named === '') {
    return parseConfig(spec, {}, { env, cwd, source: `the ${spec.service} config (no config file)` });
  }
  const path = resolve(cwd, named);
  const input = await readConfigFile(path, `${spec.service} config file`, { signal: options.signal });
  return parseConfig(spec, input, { env, cwd, baseDir: dirname(path), source: path });
}

export interface ReadConfigFileOptions {
  readonly signal?: AbortSignal | undefined;
  /** A file that does not exist (ENOENT, ENOTDIR) reads as undefined rather than a refusal. */
  readonly optional?: boolean;
  /** The status of a file that is not JSON; INVALID_ARGUMENT unless the caller wrote the file itself. */
  readonly invalidCode?: Code;
  /** Appended to the message of a file that cannot be read: what to do ("; check its permissions"). */
  readonly unreadableAdvice?: string;
  /** Appended to the message of a file that is not JSON: what to do. */
  readonly invalidAdvice?: string;
}

/**
 * Reads a JSON config file: FAILED_PRECONDITION when it cannot be read. Neither the file's text nor
 * JSON.parse's message (which quotes it) is repeated: a config file may hold secrets.
 */
export async function readConfigFile(
  path: string,
  what: string,
  options: ReadConfigFileOptions = {},
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'error';
    if (options.optional && (reason === 'ENOENT' || reason === 'ENOTDIR')) return undefined;
    throw CairnError.from(
      error,
      Code.FailedPrecondition,
      `${path}: cannot read the ${what} (${reason})${options.unreadableAdvice ?? ''}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec(String(error))?.[1];
    throw new CairnError(
      options.invalidCode ?? Code.InvalidArgument,
      `${path}: the ${what} is not valid JSON${at ? ` (near character ${at})` : ''}${options.invalidAdvice ?? ''}`,
      { details: { reason: 'bad_config', source: path } },
    );
  }
}

/** Absolute paths and URLs stay as they are; a relative path resolves against `base`. */
export function resolveConfigPath(base: string, value: string): string {
  return isAbsolute(value) || value.includes('://') ? value : resolve(base, value);
}

function resolvePaths(schema: $ZodType, value: unknown, base: string): unknown {
  const info = infoOf(schema);
  if (info.meta.path === true && typeof value === 'string') return resolveConfigPath(base, value);
  const def = defOf(info.base);
  if (Array.isArray(value)) {
    const element = def.element;
    if (element === undefined || infoOf(element).meta.path !== true) return value;
    return value.map((item) => (typeof item === 'string' ? resolveConfigPath(base, item) : item));
  }
  if (!isPlainObject(value) || (info.type !== 'object' && def.discriminator === undefined)) return value;
  const target = def.discriminator === undefined ? info.base : optionFor(info.base, value);
  const shape = target === undefined ? undefined : defOf(target).shape;
  if (shape === undefined) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, child] of Object.entries(shape))
    if (out[key] !== undefined) out[key] = resolvePaths(child, out[key], base);
  return out;
}

/** The empty-value rule for strings (zod's own string accepts ""); blank items of a list count too. */
function refuseEmptyStrings(
  schema: $ZodType,
  value: Record<string, unknown>,
  at: readonly string[],
  sourceOf: (key: string) => string,
): void {
  for (const [key, child] of Object.entries(value)) {
    const setting = childSchema(schema, key, value);
    if (setting === undefined) continue; // an unknown key: the schema refuses it
    const path = [...at, key];
    const info = infoOf(setting);
    const blank = (item: unknown) => typeof item === 'string' && item.trim() === '';
    const element = defOf(info.base).element;
    const emptyHere =
      (info.type === 'string' && info.meta.allowEmpty !== true && blank(child)) ||
      (info.type === 'array' &&
        Array.isArray(child) &&
        element !== undefined &&
        infoOf(element).type === 'string' &&
        infoOf(element).meta.allowEmpty !== true &&
        child.some(blank));
    if (emptyHere) {
      const dotted = path.join('.');
      throw configError(sourceOf(dotted), dotted, `must be ${expectation(setting)}`);
    }
    if (isPlainObject(child) && (info.type === 'object' || defOf(info.base).discriminator !== undefined))
      refuseEmptyStrings(info.base, child, path, sourceOf);
  }
}
