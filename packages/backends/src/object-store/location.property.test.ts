import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalS3Location, parseS3Location } from '../aws-s3/location.js';
import { canonicalAzureLocation, parseAzureLocation } from '../azure-blob/location.js';
import { blobKey, type ObjectLocation } from './location.js';

const hex = 'ab'.repeat(32);
const secret = fc
  .string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
    minLength: 14,
    maxLength: 30,
  })
  .map((text) => `Zq${text}`);

const container = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/),
  fc.constantFrom(
    'ab',
    'a'.repeat(64),
    '192.168.5.4',
    'xn--bucket',
    'my--container',
    'My-Bucket',
    'a_b',
    '-ab',
    'ab-',
    '',
  ),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,8}$/),
  fc.constantFrom('', '.', '..', '...', 'a b', 'é', '\\', 'a\\b', '\0', '\n', '\u007f', 'x'.repeat(600)),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const location = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(container, fc.array(segment, { maxLength: 4 }), fc.constantFrom('', '/', '//'))
      .map(([name, parts, trail]) => [name, ...parts].join('/') + trail),
  },
  fc.tuple(secret, container).map(([s, name]) => `https://user:${s}@${name}/prefix`),
  fc.tuple(secret, container).map(([s, name]) => `${name}/prefix?sig=${s}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

const providers = [
  { what: 's3', parse: parseS3Location, canonical: canonicalS3Location, noun: 'bucket' },
  { what: 'azure-blob', parse: parseAzureLocation, canonical: canonicalAzureLocation, noun: 'container' },
] as const;

function attempt(run: () => ObjectLocation): ObjectLocation | CairnError {
  try {
    return run();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
}

describe.each(providers)('$what location properties', ({ parse, canonical, noun }) => {
  it('any string is INVALID_ARGUMENT quoting no secret it holds, or a container and a safe key prefix whose canonical form parses to the same', () => {
    fc.assert(
      fc.property(location, (text) => {
        const parsed = attempt(() => parse(text));
        if (parsed instanceof CairnError) {
          expect(parsed.code).toBe(Code.InvalidArgument);
          expect(parsed.message).toContain(noun);
          for (const found of text.match(/Zq[A-Za-z0-9]{14,}/g) ?? [])
            expect(parsed.message).not.toContain(found);
          return;
        }
        const { container: name, prefix } = parsed;
        expect(text.startsWith(name)).toBe(true);
        if (prefix !== '') {
          expect(prefix.endsWith('/')).toBe(true);
          for (const part of prefix.slice(0, -1).split('/')) {
            expect(['', '.', '..']).not.toContain(part);
            // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not pass
            expect(part).not.toMatch(/[\u0000-\u001f\u007f\\]/);
          }
        }
        const key = blobKey(parsed, hex);
        expect(key.startsWith('/')).toBe(false);
        expect(key.split('/')).not.toContain('..');
        // Stored as written, less trailing '/'; and that is a fixed point.
        const again = canonical(text);
        expect(again).toBe(text.replace(/\/+$/, ''));
        expect(canonical(again)).toBe(again);
        expect(parse(again)).toEqual(parsed);
      }),
      { numRuns: 1500 },
    );
  });
});
