import { CairnError, Code } from '@cairn/errors';
import type { $ZodIssue, $ZodType } from 'zod/v4/core';
import {
  childSchema,
  defOf,
  expectation,
  infoOf,
  isPlainObject,
  keysOf,
  optionFor,
  schemaAt,
} from './schema-info.js';

/**
 * Where a value came from, as messages name it: a config file's path, an environment variable's name, or
 * a label for a config built in code ("the CAS config").
 */
export type ConfigSource = string;

/**
 * The one shape of every configuration refusal: `SOURCE: config key KEY PROBLEM`, on one line, with no
 * value quoted (a value may be a secret, and the file's text is never repeated).
 */
export function configError(
  source: ConfigSource,
  key: string,
  problem: string,
  code: Code = Code.InvalidArgument,
): CairnError {
  const subject = key === '' ? 'the settings' : `config key ${key}`;
  return new CairnError(code, `${source}: ${subject} ${problem}`, {
    details: { reason: 'bad_config', key, source },
  });
}

export interface IssueContext {
  /** The config's schema and the value that was parsed (it picks the options of unions). */
  readonly schema: $ZodType;
  readonly input: unknown;
  /** "CAS", "control plane": "is not a CAS setting". */
  readonly service: string;
  /** The source of the value at a dotted key (the longest recorded prefix wins). */
  readonly sourceOf: (key: string) => ConfigSource;
  /** Environment variables that set a key, for "is required (or set VAR)". */
  readonly variablesOf?: (key: string) => readonly string[];
}

/** Turns zod's first issue into the config refusal that names its key, its source and what it must be. */
export function issueError(issue: $ZodIssue, context: IssueContext): CairnError {
  // Issues inside a list are the list's: "backends.filesystemRoots must be a list of non-empty strings".
  const at: string[] = [];
  for (const part of issue.path) {
    if (typeof part !== 'string') break;
    at.push(part);
  }
  const key = at.join('.');
  const schema = schemaAt(context.schema, at, context.input);
  const must = () => `must be ${schema === undefined ? 'a valid value' : expectation(schema)}`;
  const source = context.sourceOf(key);
  const value = valueAt(context.input, at);

  switch (issue.code) {
    case 'unrecognized_keys': {
      const name = issue.keys[0] ?? '';
      const full = key === '' ? name : `${key}.${name}`;
      return configError(
        context.sourceOf(full),
        full,
        `is not a ${context.service} setting (${takes(context, at)})`,
      );
    }
    case 'invalid_union': {
      const discriminator = 'discriminator' in issue ? issue.discriminator : undefined;
      if (typeof discriminator === 'string') {
        // zod puts the discriminator on the path; the union is the section above it.
        const sectionPath = at.at(-1) === discriminator ? at.slice(0, -1) : at;
        const union = schemaAt(context.schema, sectionPath, context.input);
        const kinds = union === undefined ? [] : kindsOf(union);
        const kindKey = [...sectionPath, discriminator].join('.');
        const named = valueAt(context.input, [...sectionPath, discriminator]);
        return configError(
          context.sourceOf(kindKey),
          kindKey,
          named === undefined
            ? `is required: one of ${kinds.join(', ')}`
            : `must be one of ${kinds.join(', ')}`,
        );
      }
      return configError(source, key, must());
    }
    case 'invalid_type':
      if (value === undefined) {
        const variables = context.variablesOf?.(key) ?? [];
        const hint = variables.length === 0 ? '' : ` (or set ${variables.join(' or ')})`;
        return configError(source, key, `is required: ${must().slice('must be '.length)}${hint}`);
      }
      if (value === null) {
        const leaveOut =
          schema !== undefined && infoOf(schema).optional ? ' (leave the key out for its default)' : '';
        return configError(source, key, `${must()}, not null${leaveOut}`);
      }
      return configError(source, key, must());
    case 'custom':
      // A service's refinements are written as "must ..." phrases for their key; anything else says no more
      // than zod's "Invalid input".
      return configError(source, key, issue.message.startsWith('must ') ? issue.message : must());
    default:
      return configError(source, key, must());
  }
}

function takes(context: IssueContext, at: readonly string[]): string {
  const section = at.length === 0 ? context.schema : schemaAt(context.schema, at, context.input);
  if (section === undefined) return 'see docs/configuration.md';
  const base = infoOf(section).base;
  const def = defOf(base);
  const label = at.length === 0 ? 'the config' : at.join('.');
  if (def.discriminator !== undefined) {
    const option = optionFor(base, valueAt(context.input, at));
    if (option === undefined) return 'see docs/configuration.md';
    const kind = valueAt(context.input, [...at, def.discriminator]) ?? optionKind(option, def.discriminator);
    return `${label} of ${def.discriminator} ${String(kind)} takes ${keysOf(option).join(', ')}`;
  }
  return `${label} takes ${keysOf(base).join(', ')}`;
}

function optionKind(option: $ZodType, discriminator: string): unknown {
  const field = childSchema(option, discriminator, undefined);
  return field === undefined ? undefined : defOf(infoOf(field).base).values?.[0];
}

function kindsOf(union: $ZodType): string[] {
  const def = defOf(infoOf(union).base);
  const discriminator = def.discriminator ?? '';
  return (def.options ?? []).map((option) => String(optionKind(option, discriminator)));
}

export function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}
