import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSize, parseSize } from './sizes.js';
import { UsageError } from './usage-error.js';

const PREFIXES = ['', 'k', 'm', 'g', 't', 'p', 'e', 'z', 'y'];

/** Bytes per unit, as the SI and IEC standards define them (case does not matter, `B` may stand alone). */
function bytesPer(unit: string): bigint | undefined {
  const match = /^([kmgtpezy]?)(i?)b$/i.exec(unit);
  if (unit === '') return 1n;
  if (!match || (match[1] === '' && match[2] !== '')) return undefined;
  const power = BigInt(PREFIXES.indexOf((match[1] ?? '').toLowerCase()));
  return (match[2] === '' ? 1000n : 1024n) ** power;
}

const unit = fc.oneof(
  fc.constantFrom('', 'B', 'b', 'kB', 'KB', 'kb', 'KiB', 'kib', 'KIB', 'MB', 'MiB', 'GB', 'GiB', 'TB', 'TiB'),
  fc.constantFrom('PB', 'PiB', 'EB', 'EiB', 'ZB', 'YiB'),
  fc.constantFrom('ib', 'IB', 'i', 'k', 'K', 'Ki', 'bytes', 'kbit', 'MBB', 'iB', 'Kb ', 'mb\n'),
);
const digits = fc.stringMatching(/^[0-9]{1,20}$/);
const number = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(digits, fc.option(fc.stringMatching(/^[0-9]{1,6}$/)))
      .map(([whole, fraction]) => (fraction === null ? whole : `${whole}.${fraction}`)),
  },
  fc.constantFrom(
    '0',
    '1',
    '+1',
    '-1',
    '-5',
    '.5',
    '5.',
    '1e3',
    '0x10',
    '١',
    'NaN',
    'Infinity',
    '9007199254740993',
  ),
);
const sizeText = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('', ' '), number, fc.constantFrom('', '', ' ', '  ', '\t'), unit)
      .map((parts) => parts.join('')),
  },
  fc.string({ unit: 'binary', maxLength: 20 }),
);

function parsed(text: string): number | UsageError {
  try {
    return parseSize(text, '--max-bytes', 'cas-backend add');
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
}

describe('size properties', () => {
  it('any text is a usage error naming the option, or the whole number of bytes it spells, rounded down', () => {
    fc.assert(
      fc.property(sizeText, (text) => {
        const result = parsed(text);
        if (result instanceof UsageError) {
          expect(result.message).toContain('--max-bytes');
          expect(result.command).toBe('cas-backend add');
          return;
        }
        expect(Number.isSafeInteger(result) && result >= 1).toBe(true);
        // Worked out exactly: whole and fraction as integers, times the unit.
        const match = /^\+?([0-9]+)(?:\.([0-9]+))? *(.*)$/.exec(text.trim());
        expect(match).not.toBeNull();
        const [, whole = '', fraction = '', rest = ''] = match ?? [];
        const per = bytesPer(rest);
        expect(per).toBeDefined();
        const scale = 10n ** BigInt(fraction.length);
        expect(BigInt(result)).toBe((BigInt(`${whole}${fraction}`) * (per ?? 0n)) / scale);
      }),
      { numRuns: 3000 },
    );
  });

  it('a formatted size reads back within the rounding of one decimal place, and exactly when it is whole units', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .integer({ min: 1, max: Math.floor(Number.MAX_SAFE_INTEGER / 1024) })
            .map((size) => ({ size, whole: false })),
          fc
            .tuple(fc.integer({ min: 1, max: 1023 }), fc.integer({ min: 0, max: 4 }))
            .map(([count, power]) => ({ size: count * 1024 ** power, whole: true })),
        ),
        ({ size, whole }) => {
          const back = parsed(formatSize(size));
          expect(typeof back).toBe('number');
          expect(Math.abs((back as number) - size)).toBeLessThanOrEqual(size * 0.05);
          if (whole) expect(back).toBe(size);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
