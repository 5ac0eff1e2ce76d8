import { CairnError, Code } from '@cairn/errors';

/**
 * Reading untrusted configuration (a JSON file, environment variables): each reader names the key it
 * checks, so a mistake reads as "config key grpc.port must be ...". Values are never echoed when the key
 * may hold a secret.
 */
export type ConfigObject = Readonly<Record<string, unknown>>;

export function configError(key: string, expectation: string): CairnError {
  return new CairnError(Code.InvalidArgument, `config key ${key} ${expectation}; fix the CAS configuration`, {
    details: { reason: 'bad_config', key },
  });
}

export function objectAt(value: unknown, key: string): ConfigObject | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw configError(key, 'must be an object');
  return value as ConfigObject;
}

export function stringAt(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw configError(key, 'must be a non-empty string');
  return value;
}

export function integerAt(value: unknown, key: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) {
    throw configError(key, `must be an integer from ${min} to ${max}`);
  }
  return number;
}

export function stringListAt(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw configError(key, 'must be a list of non-empty strings');
  }
  return value as string[];
}

export function oneOf<const T extends string>(
  value: unknown,
  key: string,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw configError(key, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}
