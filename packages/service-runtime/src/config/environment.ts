import { resolve } from 'node:path';
import type { $ZodType } from 'zod/v4/core';
import { configError } from './config-error.js';
import {
  childSchema,
  defaultKind,
  defOf,
  expectation,
  infoOf,
  isPlainObject,
  schemaOfAnyKind,
} from './schema-info.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** One environment variable of a service's configuration. */
export interface ConfigVariable {
  /**
   * The dotted key it sets (`grpc.port`), or the keys when one variable sets several alike
   * (`CAIRN_CAS_HOST` binds both servers). Absent: the service reads the variable itself (a token);
   * it is listed for `--help` and the docs only.
   */
  readonly key?: string | readonly [string, ...string[]];
  readonly description: string;
  /**
   * Where a relative path in it resolves. Default: like the file's paths, against the config file's
   * folder (the working directory when there is no file).
   */
  readonly relativeTo?: 'working-directory';
  /** Keys its value stands instead of: they are dropped from the file when it is set. */
  readonly replaces?: readonly string[];
  /** What separates the items of a list; default ",". Empty items are dropped. */
  readonly separator?: string;
}

export type ConfigVariables = Readonly<Record<string, ConfigVariable>>;

/** Which variable set which key: messages name the variable rather than the file. */
export type Provenance = Map<string, string>;

export function keysOfVariable(variable: ConfigVariable): readonly string[] {
  if (variable.key === undefined) return [];
  return typeof variable.key === 'string' ? [variable.key] : variable.key;
}

/** The names of the variables that set `key`. */
export function variablesFor(variables: ConfigVariables, key: string): string[] {
  return Object.entries(variables)
    .filter(([, variable]) => keysOfVariable(variable).includes(key))
    .map(([name]) => name);
}

/**
 * Applies the set variables over `input` (the file's values; not changed) and returns the result. The rule
 * for empty values: a variable set to "" counts as unset. Broad keys go first (a whole section given as
 * JSON, then a section's kind, then single keys), so a narrower variable refines a broader one. A variable
 * for a key that only another kind of section takes (a Vault setting while the file store is chosen) is
 * left unused, as it would be with the file alone.
 */
export function applyEnvironment(
  schema: $ZodType,
  input: Record<string, unknown>,
  variables: ConfigVariables,
  env: Environment,
  cwd: string,
  provenance: Provenance,
): Record<string, unknown> {
  const set = Object.entries(variables).filter(
    ([name, variable]) => variable.key !== undefined && env[name] !== undefined && env[name] !== '',
  );
  // A config given in code may hold what structuredClone cannot copy (a JWKS object with methods).
  if (set.length === 0) return input;
  const out = structuredClone(input);
  for (const [, variable] of set) for (const key of variable.replaces ?? []) removeAt(out, key.split('.'));
  const ordered = set
    .flatMap(([name, variable]) => keysOfVariable(variable).map((key) => ({ name, variable, key })))
    .map((entry) => ({ ...entry, path: entry.key.split('.') }))
    .sort((a, b) => a.path.length - b.path.length || rank(schema, a.path) - rank(schema, b.path));
  for (const { name, variable, path } of ordered) {
    const text = env[name] as string;
    const parentPath = path.slice(0, -1);
    const last = path.at(-1) as string;
    const parentSchema = schemaOfAnyKind(schema, parentPath);
    const current = peek(out, parentPath);
    if (current === null) continue; // the file gave no object there: the schema reports that
    const setting = parentSchema === undefined ? undefined : childSchema(parentSchema, last, current ?? {});
    if (parentSchema === undefined || setting === undefined) continue; // a key of another kind: not in use
    const parent = objectAt(out, parentPath);
    const union = infoOf(parentSchema).base;
    const discriminator = defOf(union).discriminator;
    const value = convert(text, setting, variable, name, path.join('.'), cwd);
    if (discriminator === last) {
      // Another kind of section: the file's settings of its own kind no longer apply.
      const kind = parent[discriminator] ?? defaultKind(union);
      if (kind !== value) {
        for (const key of Object.keys(parent)) delete parent[key];
        provenance.set(parentPath.join('.'), name);
      }
    }
    parent[last] = value;
    provenance.set(path.join('.'), name);
  }
  return out;
}

/** A section's kind is set before its other keys, so they are checked against the kind in use. */
function rank(schema: $ZodType, path: readonly string[]): number {
  const parent = schemaOfAnyKind(schema, path.slice(0, -1));
  if (parent === undefined) return 1;
  return defOf(infoOf(parent).base).discriminator === path.at(-1) ? 0 : 1;
}

/** The object at `path`: undefined where absent, null where the file holds something else there. */
function peek(
  root: Record<string, unknown>,
  path: readonly string[],
): Record<string, unknown> | undefined | null {
  let current: Record<string, unknown> = root;
  for (const key of path) {
    const next = current[key];
    if (next === undefined) return undefined;
    if (!isPlainObject(next)) return null;
    current = next;
  }
  return current;
}

/** The object at `path`, made where absent (`peek` said nothing else is there). */
function objectAt(root: Record<string, unknown>, path: readonly string[]): Record<string, unknown> {
  let current = root;
  for (const key of path) {
    const next = current[key];
    if (isPlainObject(next)) {
      current = next;
    } else {
      const fresh: Record<string, unknown> = {};
      current[key] = fresh;
      current = fresh;
    }
  }
  return current;
}

function removeAt(root: Record<string, unknown>, path: readonly string[]): void {
  let current: unknown = root;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current)) return;
    current = current[key];
  }
  if (isPlainObject(current)) delete current[path.at(-1) as string];
}

/** Typed conversion of a variable's text by the type its key has in the schema. */
function convert(
  text: string,
  setting: $ZodType,
  variable: ConfigVariable,
  name: string,
  key: string,
  cwd: string,
): unknown {
  const info = infoOf(setting);
  const refuse = (problem: string) => configError(name, key, problem);
  const must = `must be ${expectation(setting)}`;
  const asPath = (value: string) =>
    variable.relativeTo === 'working-directory' ? resolve(cwd, value) : value;
  switch (info.type) {
    case 'number': {
      const trimmed = text.trim();
      const number = /^[-+]?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
      if (!Number.isFinite(number)) throw refuse(must);
      return number;
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (word === 'true' || word === '1') return true;
      if (word === 'false' || word === '0') return false;
      throw refuse(`${must} (or 1 or 0)`);
    }
    case 'array': {
      const element = defOf(info.base).element;
      const isPath = element !== undefined && infoOf(element).meta.path === true;
      const items = text.split(variable.separator ?? ',').filter((item) => item !== '');
      return isPath ? items.map(asPath) : items;
    }
    case 'object':
    case 'record':
    case 'union': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // JSON.parse would quote the text, which may hold a secret: say only what is wrong.
        throw refuse('must be given as JSON (an object); the variable is not valid JSON');
      }
      return parsed;
    }
    default:
      return info.meta.path === true ? asPath(text) : text;
  }
}
