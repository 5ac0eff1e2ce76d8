import { resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFilesystemLocation } from './location.js';

const segment = fc.oneof(
  fc.constantFrom(
    '',
    '',
    '.',
    '..',
    '...',
    '.hidden',
    'blobs',
    'a b',
    '~',
    'C:',
    'a\\..\\b',
    '%2e%2e',
    '\0',
    'é',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
);

/** Absolute and relative paths built of odd segments, and noise. */
const location = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('/', '//', '', './', '~/'), fc.array(segment, { maxLength: 6 }))
      .map(([lead, parts]) => `${lead}${parts.join('/')}`),
  },
  fc.string({ unit: 'binary', maxLength: 60 }),
);

describe('filesystem location properties', () => {
  it('any string is refused as INVALID_ARGUMENT or becomes the canonical absolute path of the directory it names', () => {
    fc.assert(
      fc.property(location, (text) => {
        let parsed: string;
        try {
          parsed = parseFilesystemLocation(text);
        } catch (error) {
          expect(error).toBeInstanceOf(CairnError);
          expect((error as CairnError).code).toBe(Code.InvalidArgument);
          return;
        }
        // '..' is refused rather than resolved: an accepted location never climbs.
        expect(text.split('/')).not.toContain('..');
        expect(parsed).toBe(resolve(text));
        expect(parsed).toMatch(/^\/[^/]/);
        expect(parsed).not.toMatch(/\/\/|\/$|\0/);
        expect(parsed.split('/')).not.toContain('..');
        expect(parsed.split('/')).not.toContain('.');
        expect(parseFilesystemLocation(parsed)).toBe(parsed);
      }),
      { numRuns: 1500 },
    );
  });
});
