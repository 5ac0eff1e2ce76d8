import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDownloadName, parseUploadName } from './resource-names.js';

// Resource names as DESIGN.md writes them (the client formats them the same way).
const uploadName = (uuid: string, hex: string, size: number | string) =>
  `uploads/${uuid}/blobs/${hex}/${size}`;
const downloadName = (hex: string, size: number | string) => `blobs/${hex}/${size}`;

const hex = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));
const size = fc.oneof(
  fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const uuid = fc.oneof(fc.uuid(), fc.mixedCase(fc.uuid()));

/** Segments a confused or hostile client may put anywhere in a name. */
const oddSegment = fc.oneof(
  fc.constantFrom(
    '',
    '.',
    '..',
    '%2e%2e',
    '%2F',
    '\\',
    'a\\b',
    '~',
    'C:',
    'A'.repeat(64),
    'uploads',
    'blobs',
    '007',
    '+1',
    '-1',
    '1e3',
    '1.0',
    '0x10',
    ' 1',
    '1 ',
    '١',
    '１',
    '9007199254740992',
    '99999999999999999999',
    'sha256:',
  ),
  hex.map((h) => `sha256:${h}`),
  hex.map((h) => h.slice(1)),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const validName = fc.oneof(
  fc.tuple(uuid, hex, size).map(([u, h, s]) => uploadName(u, h, s)),
  fc.tuple(hex, size).map(([h, s]) => downloadName(h, s)),
);

/**
 * A valid name in mixed case, or with segments replaced, inserted or removed and a '/' added at either
 * end.
 */
const nearName = fc
  .tuple(
    fc.oneof(validName, fc.mixedCase(validName)),
    fc.array(fc.tuple(fc.constantFrom('replace', 'insert', 'remove'), fc.nat(6), oddSegment), {
      maxLength: 2,
    }),
    fc.constantFrom('', '/'),
    fc.constantFrom('', '/'),
  )
  .map(([name, edits, lead, trail]) => {
    const segments = name.split('/');
    for (const [edit, at, segment] of edits) {
      const index = at % (segments.length + 1);
      if (edit === 'insert') segments.splice(index, 0, segment);
      else segments.splice(index, 1, ...(edit === 'replace' ? [segment] : []));
    }
    return `${lead}${segments.join('/')}${trail}`;
  });

const anyName = fc.oneof(nearName, fc.string({ unit: 'binary', maxLength: 400 }));

/** The result of `parse`, or the CairnError it threw; anything else thrown fails the property. */
function attempt<T>(parse: () => T): { value: T } | { error: CairnError } {
  try {
    return { value: parse() };
  } catch (error) {
    if (!(error instanceof CairnError)) throw error;
    return { error };
  }
}

describe('resource name properties', () => {
  it('any string is a name or an INVALID_ARGUMENT saying the expected form, never another error', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        for (const [parse, form] of [
          [parseUploadName, /expected uploads\/\{uuid\}\/blobs\//],
          [parseDownloadName, /expected blobs\/\{64 lower-case hex sha256\}/],
        ] as const) {
          const outcome = attempt(() => parse(name));
          if ('error' in outcome) {
            expect(outcome.error.code).toBe(Code.InvalidArgument);
            expect(outcome.error.details).toEqual({ reason: 'bad_resource_name' });
            expect(outcome.error.message).toMatch(form);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('an accepted name is its own canonical spelling: lower-case hex digest and a plain decimal safe size', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const download = attempt(() => parseDownloadName(name));
        if ('value' in download) {
          const { hex: digest, size: bytes } = download.value;
          expect(digest).toMatch(/^[0-9a-f]{64}$/);
          expect(Number.isSafeInteger(bytes) && bytes >= 0).toBe(true);
          expect(downloadName(digest, bytes)).toBe(name);
        }
        const upload = attempt(() => parseUploadName(name));
        if ('value' in upload) {
          const { uuid: id, hex: digest, size: bytes, name: canonical } = upload.value;
          expect(digest).toMatch(/^[0-9a-f]{64}$/);
          expect(Number.isSafeInteger(bytes) && bytes >= 0).toBe(true);
          expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
          expect(canonical).toBe(uploadName(id, digest, bytes));
          // Only the uuid may differ from the canonical name, and only in case.
          expect(canonical).toBe(name.toLowerCase());
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('format then parse gives back every uuid, digest and size', () => {
    fc.assert(
      fc.property(uuid, hex, size, (id, digest, bytes) => {
        expect(parseUploadName(uploadName(id, digest, bytes))).toEqual({
          uuid: id.toLowerCase(),
          hex: digest,
          size: bytes,
          name: uploadName(id.toLowerCase(), digest, bytes),
        });
        expect(parseDownloadName(downloadName(digest, bytes))).toEqual({ hex: digest, size: bytes });
      }),
      { numRuns: 500 },
    );
  });

  it('a size in any spelling but plain decimal, or beyond Number.MAX_SAFE_INTEGER, is refused', () => {
    const spelled = fc.oneof(
      size.chain((n) =>
        fc.constantFrom(
          `0${n}`,
          `+${n}`,
          `-${n}`,
          `${n}.0`,
          `${n}e0`,
          ` ${n}`,
          `${n} `,
          `${n}\n`,
          `0x${n.toString(16)}`,
          `${n}n`,
          `${n}_0`,
          String(n).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))),
        ),
      ),
      fc.bigInt({ min: BigInt(Number.MAX_SAFE_INTEGER) + 1n, max: 10n ** 40n }).map((n) => n.toString()),
    );
    fc.assert(
      fc.property(uuid, hex, spelled, (id, digest, text) => {
        for (const parse of [
          () => parseUploadName(uploadName(id, digest, text)),
          () => parseDownloadName(downloadName(digest, text)),
        ]) {
          const outcome = attempt(parse);
          expect('error' in outcome && outcome.error.code).toBe(Code.InvalidArgument);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
