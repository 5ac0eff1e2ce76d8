import { CairnError, Code } from '@cairn/errors';
import type { SecretValue } from './secret-store.js';

/** Largest accepted secret, measured as UTF-8 JSON: credentials are small, a bound keeps memory flat. */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
/** Longest accepted field name. */
export const MAX_SECRET_FIELD_NAME_LENGTH = 128;

/**
 * Checks that `value` is a plain object with 1 or more fields, each name 1–MAX_SECRET_FIELD_NAME_LENGTH
 * characters and each value a string, at most MAX_SECRET_VALUE_BYTES as JSON. Returns a frozen copy;
 * throws INVALID_ARGUMENT otherwise. Messages may name a field, never a field's value.
 */
export function validateSecretValue(value: unknown): SecretValue {
  const checked = checkSecretValue(value);
  if (typeof checked === 'string') {
    throw new CairnError(Code.InvalidArgument, `${checked}; a secret is a flat object of string fields`, {
      details: { reason: 'invalid_secret_value' },
    });
  }
  return checked;
}

/** Like `validateSecretValue` for data read back from a store: undefined instead of an error. */
export function secretValueFromStored(value: unknown): SecretValue | undefined {
  const checked = checkSecretValue(value);
  return typeof checked === 'string' ? undefined : checked;
}

/** The frozen copy, or a sentence saying what is wrong. */
function checkSecretValue(value: unknown): SecretValue | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'the secret value must be an object';
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return 'the secret value must be a plain object';
  if (Object.getOwnPropertySymbols(value).length > 0) return 'the secret value must not have symbol keys';
  const entries = Object.entries(value);
  if (entries.length === 0) return 'the secret value has no fields';
  for (const [name, field] of entries) {
    if (name.length === 0) return 'a secret field has an empty name';
    if (name.length > MAX_SECRET_FIELD_NAME_LENGTH) {
      return `a secret field name is longer than ${MAX_SECRET_FIELD_NAME_LENGTH} characters`;
    }
    if (typeof field !== 'string') return `the secret field ${JSON.stringify(name)} is not a string`;
  }
  const copy: Record<string, string> = Object.fromEntries(entries);
  const bytes = Buffer.byteLength(JSON.stringify(copy));
  if (bytes > MAX_SECRET_VALUE_BYTES) {
    return `the secret value is ${bytes} bytes as JSON; the limit is ${MAX_SECRET_VALUE_BYTES}`;
  }
  return Object.freeze(copy);
}
