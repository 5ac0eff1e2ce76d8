import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexOf } from './blob-routes.js';

const hex = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));

/** `text` with each character percent-encoded or not, in upper- or lower-case hex. */
const percentEncoded = (text: string) =>
  fc
    .array(fc.constantFrom('plain', 'lower', 'upper'), { minLength: text.length, maxLength: text.length })
    .map((choices) =>
      [...text]
        .map((char, at) => {
          const code = `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
          return choices[at] === 'plain' ? char : choices[at] === 'lower' ? code : code.toUpperCase();
        })
        .join(''),
    );

/** What the route's pattern captures of a path: noise, broken escapes, near-misses of a digest. */
const segment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.string({ unit: fc.constantFrom('%', '2', 'e', 'F', 'z', 'E0', 'A4', '3A', '2f', '00'), maxLength: 20 }),
  hex.map((h) => `sha256:${h}`).chain(percentEncoded),
  fc.mixedCase(hex.map((h) => `sha256:${h}`)),
  fc
    .tuple(
      hex,
      fc.constantFrom('', '%', '%2', '%zz', '%00', '%0A', '%2F..', '%E0%A4%A', '%C0%AE', '.', '/'),
      fc.constantFrom('sha256:', 'sha256%3a', 'sha256%253A', 'SHA256:', 'sha512:', ''),
    )
    .map(([h, tail, prefix]) => `${prefix}${h}${tail}`),
);

describe('HTTP blob path properties', () => {
  it('a path segment is the hex of the digest it spells, or INVALID_ARGUMENT bad_digest, never another error', () => {
    fc.assert(
      fc.property(segment, (text) => {
        let parsed: string | undefined;
        try {
          parsed = hexOf(text);
        } catch (error) {
          expect(error).toBeInstanceOf(CairnError);
          expect((error as CairnError).code).toBe(Code.InvalidArgument);
          expect((error as CairnError).details).toEqual({ reason: 'bad_digest' });
          return;
        }
        expect(parsed).toMatch(/^[0-9a-f]{64}$/);
        expect(decodeURIComponent(text)).toBe(`sha256:${parsed}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('every percent-encoding of sha256:{hex} names that blob', () => {
    fc.assert(
      fc.property(
        hex.chain((h) => fc.tuple(fc.constant(h), percentEncoded(`sha256:${h}`))),
        ([h, text]) => {
          expect(hexOf(text)).toBe(h);
        },
      ),
      { numRuns: 300 },
    );
  });
});
