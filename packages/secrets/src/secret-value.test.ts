import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_VALUE_BYTES, secretValueFromStored, validateSecretValue } from './secret-value.js';

describe('validateSecretValue', () => {
  it('returns a frozen copy of a flat object of strings', () => {
    const input = { user: 'u', password: 'p' };
    const value = validateSecretValue(input);
    expect(value).toEqual(input);
    expect(value).not.toBe(input);
    expect(Object.isFrozen(value)).toBe(true);
  });

  it('accepts an object without prototype and a value just under the size limit', () => {
    const bare = Object.assign(Object.create(null) as object, { a: 'b' });
    expect(validateSecretValue(bare)).toEqual({ a: 'b' });
    const big = { v: 'x'.repeat(MAX_SECRET_VALUE_BYTES - 10) };
    expect(validateSecretValue(big)).toEqual(big);
  });

  it.each([
    ['null', null],
    ['an array', ['a']],
    ['an empty object', {}],
    ['a nested object', { a: { b: 'c' } }],
    ['a number field', { a: 1 }],
    ['a class instance', new Date()],
    ['an oversized value', { v: 'x'.repeat(MAX_SECRET_VALUE_BYTES) }],
    ['a symbol key', { [Symbol('s')]: 'x', a: 'b' }],
  ])('rejects %s with INVALID_ARGUMENT', (_, value) => {
    expect(() => validateSecretValue(value)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
  });

  it('never repeats a field value in its message', () => {
    expect(() => validateSecretValue({ password: 'hunter2-secret', port: 5432 })).toThrow(
      /"port" is not a string/,
    );
    try {
      validateSecretValue({ password: 'hunter2-secret', port: 5432 });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('reads stored data leniently, returning undefined for anything malformed', () => {
    expect(secretValueFromStored({ a: 'b' })).toEqual({ a: 'b' });
    expect(secretValueFromStored({ a: 1 })).toBeUndefined();
    expect(secretValueFromStored(null)).toBeUndefined();
  });
});
