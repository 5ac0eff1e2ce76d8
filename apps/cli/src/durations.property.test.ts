import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.js';
import { UsageError } from './usage-error.js';

// The limits the commands use: `dev token --ttl` and `token create --expires`.
const LONGEST = [86_400, 3650 * 86_400];

/** Seconds per unit, in the spellings `ms` reads. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['s', 1],
  ['sec', 1],
  [' seconds', 1],
  ['m', 60],
  ['min', 60],
  [' minutes', 60],
  ['h', 3600],
  ['hrs', 3600],
  [' hours', 3600],
  ['d', 86_400],
  [' days', 86_400],
  ['w', 604_800],
];

const durationText = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', ' ', '-', '+', '.', '0'),
        fc.oneof(
          fc.nat(),
          fc.double({ min: 0, max: 1e6, noNaN: true }).map(String),
          fc.stringMatching(/^[0-9]{1,30}$/),
        ),
        fc.constantFrom('', 's', 'm', 'h', 'd', 'w', 'y', 'ms', ' days', 'M', 'sec', 'x', 'e3', '\n'),
      )
      .map(([lead, value, unit]) => `${lead}${value}${unit}`),
  },
  fc.string({ unit: 'binary', maxLength: 20 }),
);

function parsed(text: string, longest: number): number | UsageError {
  try {
    return parseDuration(text, '--ttl', 'dev token', longest);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
}

describe('duration properties', () => {
  it('any text is a usage error naming the option, or whole seconds from 1 to the limit', () => {
    fc.assert(
      fc.property(durationText, fc.constantFrom(...LONGEST), (text, longest) => {
        const result = parsed(text, longest);
        if (result instanceof UsageError) {
          expect(result.message).toContain('--ttl');
          expect(result.command).toBe('dev token');
          return;
        }
        expect(Number.isSafeInteger(result)).toBe(true);
        expect(result).toBeGreaterThanOrEqual(1);
        expect(result).toBeLessThanOrEqual(longest);
      }),
      { numRuns: 2000 },
    );
  });

  it('n seconds, in any unit that divides it and with or without white space, read back as n; past the limit, as too long', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 1, max: 4000 * 86_400 }),
          fc.integer({ min: 1, max: 30 }).map((days) => days * 86_400),
          fc.constantFrom(...LONGEST.flatMap((limit) => [limit - 1, limit, limit + 1])),
        ),
        fc.constantFrom(...UNITS),
        fc.constantFrom(...LONGEST),
        fc.constantFrom('', ' ', '\t'),
        (seconds, [unit, size], longest, space) => {
          const spellings = [`${seconds}`, ...(seconds % size === 0 ? [`${seconds / size}${unit}`] : [])];
          for (const text of spellings) {
            const result = parsed(`${space}${text}${space}`, longest);
            if (seconds <= longest) expect(result).toBe(seconds);
            else expect((result as UsageError).message).toMatch(/is too long; at most/);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
