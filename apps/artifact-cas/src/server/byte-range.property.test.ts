import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ResolvedRange, resolveRange } from './byte-range.js';

type Decision = ResolvedRange | 'whole' | 'unsatisfiable';

/**
 * What RFC 9110 §14 says of `header` for a blob of `size` bytes, with the choices resolveRange documents
 * where the RFC leaves one: an invalid ranges-specifier or another unit is ignored (the whole blob), as
 * is a valid one with several ranges, and a suffix range of an empty blob (satisfiable, §14.1.2, but no
 * 206 can carry zero bytes). Written from the ABNF, independently of the parser:
 *   Range = ranges-specifier = range-unit "=" range-set; range-unit = token (case-insensitive)
 *   range-set = 1#range-spec = *( "," OWS ) range-spec *( OWS "," [ OWS range-spec ] )   (§5.6.1)
 *   range-spec = int-range / suffix-range / other-range
 *   int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length; other-range = 1*( %x21-2B / %x2D-7E )
 */
function rfc9110(header: string, size: number): Decision {
  const value = header.replace(/^[ \t]+|[ \t]+$/g, ''); // a field value's own OWS
  const equals = value.indexOf('=');
  const unit = value.slice(0, equals);
  if (equals < 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(unit) || unit.toLowerCase() !== 'bytes')
    return 'whole';
  const rangeSet = value.slice(equals + 1);
  const element = '[\\x21-\\x2b\\x2d-\\x7e]+';
  const list = new RegExp(`^(?:,[ \\t]*)*${element}(?:[ \\t]*,(?:[ \\t]*${element})?)*$`);
  if (!list.test(rangeSet)) return 'whole';
  const specs = rangeSet.split(',').map((spec) => spec.replace(/^[ \t]+|[ \t]+$/g, ''));
  const ranges = specs.filter((spec) => spec !== '');
  const parsed = ranges.map((spec) => {
    const int = /^([0-9]+)-([0-9]*)$/.exec(spec);
    if (int) {
      const first = BigInt(int[1] ?? '');
      const last = int[2] === '' ? undefined : BigInt(int[2] ?? '');
      return last !== undefined && last < first ? undefined : ({ kind: 'int', first, last } as const);
    }
    const suffix = /^-([0-9]+)$/.exec(spec);
    return suffix ? ({ kind: 'suffix', length: BigInt(suffix[1] ?? '') } as const) : undefined;
  });
  const [only] = parsed;
  // An invalid range-spec (last < first, or a form bytes does not define) makes the whole specifier invalid.
  if (parsed.includes(undefined) || only === undefined || parsed.length > 1) return 'whole';
  const total = BigInt(size);
  if (only.kind === 'suffix') {
    if (only.length === 0n) return 'unsatisfiable';
    if (total === 0n) return 'whole';
    const length = only.length < total ? only.length : total;
    return { offset: Number(total - length), length: Number(length) };
  }
  if (only.first >= total) return 'unsatisfiable';
  const end = only.last === undefined || only.last >= total ? total - 1n : only.last;
  return { offset: Number(only.first), length: Number(end - only.first + 1n) };
}

function decide(header: string | undefined, size: number): Decision {
  try {
    return resolveRange(header, size) ?? 'whole';
  } catch (error) {
    if (!(error instanceof CairnError)) throw error;
    expect(error.code).toBe(Code.OutOfRange);
    expect(error.details).toEqual({ reason: 'range_not_satisfiable' });
    return 'unsatisfiable';
  }
}

const size = fc.oneof(
  fc.constantFrom(0, 1, 2, 100, Number.MAX_SAFE_INTEGER),
  fc.nat(1000),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

/** A byte position near the blob's end, near 2^53, or far beyond, written with or without leading zeros. */
const position = (blobSize: number) =>
  fc
    .tuple(
      fc.oneof(
        fc.bigInt({ min: 0n, max: BigInt(blobSize) + 3n }),
        fc
          .bigInt({ min: -2n, max: 2n })
          .map((delta) => BigInt(blobSize) + delta)
          .filter((n) => n >= 0n),
        fc.bigInt({ min: 0n, max: 4n }),
        fc.bigInt({ min: 2n ** 53n - 3n, max: 2n ** 53n + 3n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
      ),
      fc.constantFrom('', '', '', '0', '000'),
    )
    .map(([n, zeros]) => `${zeros}${n}`);

const ows = fc.constantFrom('', '', ' ', '\t', '  ');
const odd = fc.constantFrom('', '', '', ' ', '\u00a0', '\n', '\v', '\ufeff', 'x', ';', '=');

const rangeSpec = (blobSize: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.tuple(position(blobSize), position(blobSize)).map(([a, b]) => `${a}-${b}`) },
    { weight: 2, arbitrary: position(blobSize).map((a) => `${a}-`) },
    { weight: 2, arbitrary: position(blobSize).map((b) => `-${b}`) },
    fc.constantFrom('', '-', '--1', '1--', '0x10-', '1.5-2', 'a-b', '*', '٣-٤'),
    fc.tuple(odd, position(blobSize), odd, position(blobSize), odd).map((parts) => parts.join('')),
  );

/** `unit=range-set` with near-misses everywhere: unit spelling, white space, list syntax, odd characters. */
const rangeHeader = (blobSize: number) =>
  fc
    .tuple(
      ows,
      fc.constantFrom('bytes', 'bytes', 'bytes', 'BYTES', 'Bytes', 'byte', 'items', 'bytes ', ' bytes', ''),
      fc.constantFrom('=', '=', '=', ' =', '= ', '=\t', ':', '=='),
      fc.array(fc.tuple(ows, rangeSpec(blobSize), ows), { minLength: 1, maxLength: 3 }),
      fc.constantFrom(',', ',', ', ', ' ,', ',,', ';'),
      ows,
      odd,
    )
    .map(([lead, unit, equals, specs, comma, trail, junk]) =>
      [lead, unit, equals, specs.map((parts) => parts.join('')).join(comma), trail, junk].join(''),
    );

/** One well-formed range, as clients send it. */
const plainHeader = (blobSize: number) =>
  fc
    .tuple(fc.constantFrom('bytes', 'Bytes'), fc.option(position(blobSize)), fc.option(position(blobSize)))
    .map(([unit, first, last]) => `${unit}=${first ?? ''}-${last ?? ''}`);

const headerAndSize = size.chain((blobSize) =>
  fc.tuple(
    fc.oneof(
      { weight: 3, arbitrary: plainHeader(blobSize) },
      { weight: 4, arbitrary: rangeHeader(blobSize) },
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constant(undefined),
    ),
    fc.constant(blobSize),
  ),
);

describe('Range header properties', () => {
  it('any header gives a range, the whole blob or OUT_OF_RANGE, and a range lies inside the blob', () => {
    fc.assert(
      fc.property(headerAndSize, ([header, blobSize]) => {
        const decision = decide(header, blobSize);
        if (typeof decision === 'object') {
          expect(Number.isSafeInteger(decision.offset) && Number.isSafeInteger(decision.length)).toBe(true);
          expect(decision.offset).toBeGreaterThanOrEqual(0);
          expect(decision.length).toBeGreaterThanOrEqual(1);
          expect(decision.offset + decision.length).toBeLessThanOrEqual(blobSize);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('206, 416 and the whole blob are decided as RFC 9110 says', () => {
    fc.assert(
      fc.property(headerAndSize, ([header, blobSize]) => {
        expect(decide(header, blobSize)).toEqual(header === undefined ? 'whole' : rfc9110(header, blobSize));
      }),
      { numRuns: 1500 },
    );
  });
});
