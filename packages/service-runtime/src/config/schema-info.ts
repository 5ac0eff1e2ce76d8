import { type $ZodType, globalRegistry } from 'zod/v4/core';

/**
 * What the loader reads from a setting's metadata (zod's `.meta()`; `.describe()` sets `description`).
 * Schemas in other packages (the secrets section of @cairn/secrets) set the same keys with plain zod.
 */
export interface SettingMeta {
  /** One sentence for docs/configuration.md. */
  readonly description?: string;
  /** The value is a file or folder: a relative one resolves against the config file's folder. */
  readonly path?: boolean;
  /** An empty string means something here (else a string setting must not be empty). */
  readonly allowEmpty?: boolean;
  /** What a valid value is, for messages and docs, where the type alone does not say it. */
  readonly expects?: string;
  /** The default, when it is computed rather than fixed (`<stateDir>/db`). */
  readonly defaultText?: string;
}

/** A setting's schema with its wrappers (optional, default, pipe) looked through. */
export interface SettingInfo {
  /** The schema under the wrappers. */
  readonly base: $ZodType;
  readonly type: string;
  readonly meta: SettingMeta;
  /** Whether the key may be left out. */
  readonly optional: boolean;
  /** The fixed default, if any (`.default()`). */
  readonly defaultValue?: unknown;
}

/** The parts of zod's definitions the loader reads; they are the stable `_zod.def` of zod 4's core. */
interface Def {
  readonly type: string;
  readonly innerType?: $ZodType;
  readonly in?: $ZodType;
  readonly out?: $ZodType;
  readonly shape?: Readonly<Record<string, $ZodType>>;
  readonly element?: $ZodType;
  readonly options?: readonly $ZodType[];
  readonly discriminator?: string;
  readonly entries?: Readonly<Record<string, string | number>>;
  readonly values?: readonly unknown[];
  readonly defaultValue?: unknown;
}

export function defOf(schema: $ZodType): Def {
  return schema._zod.def as unknown as Def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'readonly', 'nonoptional', 'catch', 'pipe']);

export function infoOf(schema: $ZodType): SettingInfo {
  let current = schema;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  const meta: Record<string, unknown> = {};
  for (;;) {
    // The outermost word wins: `.describe()` on a `.default()` describes the setting.
    for (const [key, value] of Object.entries(globalRegistry.get(current) ?? {}))
      if (!(key in meta) && value !== undefined) meta[key] = value;
    const def = defOf(current);
    if (!WRAPPERS.has(def.type)) break;
    if (def.type === 'optional') optional = true;
    if (def.type === 'default' && !hasDefault) {
      hasDefault = true;
      optional = true;
      defaultValue = def.defaultValue;
    }
    if (def.type === 'prefault') optional = true;
    const next: $ZodType | undefined =
      def.type === 'pipe'
        ? defOf(def.out as $ZodType).type === 'transform'
          ? def.in
          : def.out
        : def.innerType;
    if (next === undefined) break;
    current = next;
  }
  return {
    base: current,
    type: defOf(current).type,
    meta: meta as SettingMeta,
    optional,
    ...(hasDefault ? { defaultValue } : {}),
  };
}

/** The discriminated union's option that `value` (an object) selects, with a defaulted kind when it names none. */
export function optionFor(union: $ZodType, value: unknown): $ZodType | undefined {
  const def = defOf(union);
  const discriminator = def.discriminator;
  if (discriminator === undefined) return undefined;
  const named = isPlainObject(value) ? value[discriminator] : undefined;
  const wanted = named ?? defaultKind(union);
  return (def.options ?? []).find((option) => kindOf(option, discriminator) === wanted);
}

/** The kinds a discriminated union's options stand for, in order (`["file", "vault"]`). */
export function unionKinds(def: {
  readonly discriminator?: string;
  readonly options?: readonly $ZodType[];
}): string[] {
  return (def.options ?? []).map((option) => String(kindOf(option, def.discriminator ?? '')));
}

/** The discriminator's value an option stands for (`"file"`). */
export function kindOf(option: $ZodType, discriminator: string): unknown {
  const field = defOf(option).shape?.[discriminator];
  return field === undefined ? undefined : defOf(infoOf(field).base).values?.[0];
}

/** The kind a union takes when a section names none (`kind: z.literal('file').default('file')`). */
export function defaultKind(union: $ZodType): unknown {
  const def = defOf(union);
  if (def.discriminator === undefined) return undefined;
  for (const option of def.options ?? []) {
    const field = defOf(option).shape?.[def.discriminator];
    if (field !== undefined && 'defaultValue' in infoOf(field)) return infoOf(field).defaultValue;
  }
  return undefined;
}

/** The keys an object setting takes (for an option of a union: that option's keys). */
export function keysOf(schema: $ZodType): string[] {
  return Object.keys(defOf(schema).shape ?? {});
}

/**
 * The schema of the child `key` of a section whose current value is `value` (which picks the option of
 * a discriminated union). Undefined when the section takes no such key.
 */
export function childSchema(section: $ZodType, key: string, value: unknown): $ZodType | undefined {
  return childOf(section, key, value, false);
}

/** The schema at a dotted key in any kind of the unions on the way (to learn a key's type). */
export function schemaOfAnyKind(schema: $ZodType, path: readonly string[]): $ZodType | undefined {
  let current: $ZodType | undefined = schema;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = childOf(current, key, undefined, true);
  }
  return current;
}

function childOf(section: $ZodType, key: string, value: unknown, anyKind: boolean): $ZodType | undefined {
  const base = infoOf(section).base;
  const def = defOf(base);
  if (def.type === 'object') return def.shape?.[key];
  if (def.discriminator !== undefined) {
    const option = anyKind ? undefined : optionFor(base, value);
    if (option !== undefined) return defOf(option).shape?.[key];
    // No kind chosen: any option's schema for the key tells its type.
    for (const candidate of def.options ?? []) {
      const field = defOf(candidate).shape?.[key];
      if (field !== undefined) return field;
    }
  }
  return undefined;
}

/** The schema at a dotted key of the config, following `root` (the config's value) through unions. */
export function schemaAt(schema: $ZodType, path: readonly string[], root: unknown): $ZodType | undefined {
  let current: $ZodType | undefined = schema;
  let value = root;
  for (const key of path) {
    if (current === undefined) return undefined;
    current = childSchema(current, key, value);
    value = isPlainObject(value) ? value[key] : undefined;
  }
  return current;
}

/** What a valid value of the setting is, as the end of "must be ...": "an integer from 0 to 65535". */
export function expectation(schema: $ZodType): string {
  const info = infoOf(schema);
  if (info.meta.expects !== undefined) return info.meta.expects;
  const def = defOf(info.base);
  switch (info.type) {
    case 'string':
      return info.meta.allowEmpty ? 'a string' : 'a non-empty string';
    case 'number': {
      const { minimum, maximum, integer } = numberBounds(info.base);
      const noun = integer ? 'an integer' : 'a number';
      if (minimum !== undefined && maximum !== undefined) return `${noun} from ${minimum} to ${maximum}`;
      if (minimum !== undefined) return `${noun} of at least ${minimum}`;
      if (maximum !== undefined) return `${noun} of at most ${maximum}`;
      return noun;
    }
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {}).join(', ')}`;
    case 'literal':
      return `${(def.values ?? []).map(String).join(' or ')}`;
    case 'array': {
      const element = def.element === undefined ? 'a value' : expectation(def.element);
      return `a list of ${plural(element)}`;
    }
    case 'union':
      if (def.discriminator !== undefined) {
        return `an object whose ${def.discriminator} is one of ${unionKinds(def).join(', ')}`;
      }
      return (def.options ?? []).map(expectation).join(' or ');
    case 'object':
    case 'record':
      return 'an object';
    default:
      return 'a valid value';
  }
}

/** "a non-empty string" → "non-empty strings". */
function plural(phrase: string): string {
  const bare = phrase.replace(/^(a|an) /, '');
  if (bare === phrase) return phrase;
  const words = bare.split(' ');
  const noun = words.findIndex((word) =>
    ['string', 'integer', 'number', 'path', 'object', 'value'].includes(word),
  );
  if (noun === -1) return `values that are ${phrase}`;
  words[noun] = `${words[noun]}s`;
  return words.join(' ');
}

interface NumberCheckDef {
  readonly check?: string;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly format?: string;
}

/** The bounds a number schema checks (`z.int().min(0).max(65535)`), read from its checks' definitions. */
export function numberBounds(schema: $ZodType): { minimum?: number; maximum?: number; integer: boolean } {
  const def = schema._zod.def as unknown as {
    checks?: readonly { _zod: { def: NumberCheckDef } }[];
  } & NumberCheckDef;
  const checks = [def, ...(def.checks ?? []).map((check) => check._zod.def)];
  let minimum: number | undefined;
  let maximum: number | undefined;
  let integer = false;
  for (const check of checks) {
    if (check.check === 'number_format' && check.format !== undefined && check.format.includes('int'))
      integer = true;
    if (check.check === 'greater_than' && typeof check.value === 'number')
      minimum = Math.max(minimum ?? -Infinity, check.inclusive ? check.value : check.value + 1);
    if (check.check === 'less_than' && typeof check.value === 'number')
      maximum = Math.min(maximum ?? Infinity, check.inclusive ? check.value : check.value - 1);
  }
  return {
    ...(minimum === undefined ? {} : { minimum }),
    ...(maximum === undefined ? {} : { maximum }),
    integer,
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
