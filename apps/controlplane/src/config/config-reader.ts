import { CairnError, Code } from '@cairn/errors';

export type ConfigObject = Readonly<Record<string, unknown>>;

/** Reads typed values out of untrusted configuration, naming the offending key on error. */
export function configError(key: string, problem: string): CairnError {
  return new CairnError(Code.InvalidArgument, `configuration: ${key} ${problem}`);
}

export function objectAt(value: unknown, key: string): ConfigObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw configError(key, 'must be an object');
  return value as ConfigObject;
}

/**
 * A section of the config: an object whose keys are all in `known`, so a misspelt setting is refused
 * rather than silently left at its default.
 */
export function sectionAt(value: unknown, key: string, known: readonly string[]): ConfigObject | undefined {
  const section = objectAt(value, key);
  for (const name of Object.keys(section ?? {})) {
    if (!known.includes(name)) {
      throw configError(
        `${key}.${name}`,
        `is not a control plane setting (${key} takes ${known.join(', ')})`,
      );
    }
  }
  return section;
}

export function stringAt(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw configError(key, 'must be a string');
  return value;
}

export function stringListAt(value: unknown, key: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw configError(key, 'must be a list of strings');
  }
  return value as string[];
}

/** A whole number within [min, max]; strings of digits are accepted (environment variables). */
export function integerAt(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
    throw configError(key, `must be a whole number from ${min} to ${max}`);
  }
  return number;
}

export function booleanAt(value: unknown, key: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw configError(key, 'must be true or false');
}

export function oneOf<T extends string>(value: unknown, key: string, allowed: readonly T[]): T | undefined {
  const text = stringAt(value, key);
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text))
    throw configError(key, `must be one of ${allowed.join(', ')}`);
  return text as T;
}
