import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.js';
import { parseAnnotations } from './annotations.js';

const KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

/** Valid keys, among them the names a plain JavaScript object already answers to. */
const key = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(KEY) },
  fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype).filter((name) => KEY.test(name))),
);
const value = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '=', 'a=b', ' x ', '\n'),
);

function parsed(values: readonly string[]): Record<string, string> | UsageError {
  try {
    return parseAnnotations(values, 'attestation add');
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
}

describe('--annotation properties', () => {
  it('any arguments are a usage error naming --annotation, or a map of valid keys to what follows the first "="', () => {
    const argument = fc.oneof(
      fc.tuple(key, value).map(([k, v]) => `${k}=${v}`),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(
        '',
        '=',
        '=x',
        'k',
        ' k=v',
        'k =v',
        '-k=v',
        '.k=v',
        'ключ=v',
        '__proto__=x',
        `${'k'.repeat(129)}=v`,
      ),
    );
    fc.assert(
      fc.property(fc.array(argument, { maxLength: 5 }), (values) => {
        const result = parsed(values);
        if (result instanceof UsageError) {
          expect(result.message).toContain('--annotation');
          expect(result.command).toBe('attestation add');
          return;
        }
        expect(Object.keys(result)).toHaveLength(values.length);
        for (const text of values) {
          const at = text.indexOf('=');
          expect(KEY.test(text.slice(0, at))).toBe(true);
          expect(Object.hasOwn(result, text.slice(0, at))).toBe(true);
          expect(result[text.slice(0, at)]).toBe(text.slice(at + 1));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('KEY=VALUE arguments written from a map of distinct keys read back as that map', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 6 }), (entries) => {
        expect(parsed(entries.map(([k, v]) => `${k}=${v}`))).toEqual(Object.fromEntries(entries));
      }),
      { numRuns: 1000 },
    );
  });

  it('a key given twice is a usage error saying so', () => {
    fc.assert(
      fc.property(key, value, value, (k, first, second) => {
        const result = parsed([`${k}=${first}`, `${k}=${second}`]);
        expect(result).toBeInstanceOf(UsageError);
        expect((result as UsageError).message).toBe(`--annotation ${k} is given twice`);
      }),
      { numRuns: 300 },
    );
  });
});
