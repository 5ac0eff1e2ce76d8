import { basename } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerToken } from '../server/authenticator.js';
import { blobMetaFrom } from './blob-meta.js';

const fileName = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '.',
    '..',
    '...',
    'a/b',
    '../etc/passwd',
    'a\\b',
    'C:\\x',
    'sbom.json',
    'a\nb',
    '\u007f',
    ' ',
    'x'.repeat(256),
  ),
  fc.string({ unit: fc.constantFrom('a', '.', '/', '\\', ' ', '\t', 'é'), maxLength: 6 }),
);
const mediaType = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .tuple(
      fc.constantFrom('application', 'text', 'x', '', '*', 'Application'),
      fc.constantFrom('/', '', '//', ' /'),
      fc.constantFrom('json', 'vnd.in-toto+json', 'spdx+json', '', '*'),
      fc.array(
        fc.tuple(
          fc.constantFrom('; ', ';', ' ;', ';;'),
          fc.constantFrom('charset', 'q', ''),
          fc.constantFrom('=', ''),
          fc.constantFrom('utf-8', '"a b"', '"a\\"b"', '"', ''),
        ),
        { maxLength: 2 },
      ),
    )
    .map(([type, slash, sub, params]) => `${type}${slash}${sub}${params.map((p) => p.join('')).join('')}`),
);

describe('blob metadata properties', () => {
  it('a declared file name and media type are kept as given or refused as INVALID_ARGUMENT; a kept name is never a path', () => {
    fc.assert(
      fc.property(fc.option(fileName), fc.option(mediaType), (name, type) => {
        let meta: ReturnType<typeof blobMetaFrom>;
        try {
          meta = blobMetaFrom(name ?? undefined, type ?? undefined);
        } catch (error) {
          expect(error).toBeInstanceOf(CairnError);
          expect((error as CairnError).code).toBe(Code.InvalidArgument);
          return;
        }
        if (meta.fileName !== undefined) {
          expect(meta.fileName).toBe(name);
          expect(basename(meta.fileName)).toBe(meta.fileName);
          expect(['.', '..']).not.toContain(meta.fileName);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not pass
          expect(meta.fileName).not.toMatch(/[\\\u0000-\u001f\u007f]/);
          expect(meta.fileName.length).toBeLessThanOrEqual(255);
        } else {
          expect(name ?? '').toBe('');
        }
        if (meta.mediaType !== undefined) {
          expect(meta.mediaType).toBe(type);
          // It goes back out as a Content-Type header.
          expect(meta.mediaType).toMatch(/^[\x20-\x7e]+$/);
          expect(meta.mediaType).toMatch(/^[^/\s;]+\/[^/\s;]+/);
        } else {
          expect(type ?? '').toBe('');
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('Authorization header properties', () => {
  it('any header is a bearer token without white space, or UNAUTHENTICATED token_malformed', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc
        .tuple(
          fc.constantFrom('', ' ', '\t'),
          fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Bearer:', 'Bear', ''),
          fc.constantFrom(' ', '  ', '\t', '', '\u00a0'),
          fc.string({ unit: fc.constantFrom('a', '.', '-', '_', '=', ' ', 'é'), maxLength: 8 }),
          fc.constantFrom('', ' ', '\n'),
        )
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(header, (text) => {
        let token: string | undefined;
        try {
          token = bearerToken(text);
        } catch (error) {
          expect(error).toBeInstanceOf(CairnError);
          expect((error as CairnError).code).toBe(Code.Unauthenticated);
          expect((error as CairnError).details).toEqual({ reason: 'token_malformed' });
          return;
        }
        expect(token).toMatch(/^\S+$/);
        expect(text.trim().toLowerCase().startsWith('bearer')).toBe(true);
        expect(text.trim().endsWith(token ?? '')).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
