import { CairnError, Code } from '@cairn/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDigest, isDigest, isSha256Hex, parseDigest, requireSha256Hex, sha256Hex } from './digest.js';

const hex = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('hex'));

/** Characters a near-miss may hold: upper-case hex, path and URL syntax, white space, NUL, non-ASCII. */
const oddChar = fc.constantFrom(...'ABCDEFg/.:\\%\n\0 é');

/** Anything a client may send: noise, and near-misses of the one valid form (case, length, prefix). */
const digestLike = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  hex.map(formatDigest),
  fc.mixedCase(hex.map(formatDigest)),
  fc
    .tuple(
      fc.constantFrom('SHA256:', 'sha256', 'sha512:', 'sha256::', ' sha256:', 'sha-256:', '', 'md5:abc:'),
      hex,
      fc.constantFrom('', '\n', ' ', '/..', '\0', 'a'),
    )
    .map((parts) => parts.join('')),
  fc
    .tuple(hex, fc.nat(64), fc.nat(1), fc.string({ unit: oddChar, maxLength: 2 }))
    .map(([h, at, cut, text]) => `sha256:${h.slice(0, at)}${text}${h.slice(at + cut)}`),
);

const emptyRefusal = (() => {
  try {
    return String(parseDigest(''));
  } catch (error) {
    return (error as Error).message;
  }
})();

function refusal(attempt: () => unknown): CairnError | undefined {
  try {
    attempt();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).code).toBe(Code.InvalidArgument);
    return error as CairnError;
  }
}

describe('digest properties', () => {
  it('parseDigest returns 64 lower-case hex for exactly the canonical spelling and refuses anything else as INVALID_ARGUMENT', () => {
    fc.assert(
      fc.property(digestLike, (text) => {
        let parsed: string | undefined;
        const error = refusal(() => {
          parsed = parseDigest(text);
        });
        if (error === undefined) {
          expect(parsed).toMatch(/^[0-9a-f]{64}$/);
          expect(formatDigest(parsed ?? '')).toBe(text);
        } else {
          // What the client sent is shown, but never more than 80 characters of it.
          expect(error.message.length).toBeLessThanOrEqual(emptyRefusal.length + 80);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('isDigest is true exactly where parseDigest accepts, for values of any type', () => {
    fc.assert(
      fc.property(fc.oneof(digestLike, fc.anything()), (value) => {
        const accepted = typeof value === 'string' && refusal(() => parseDigest(value)) === undefined;
        expect(isDigest(value)).toBe(accepted);
      }),
      { numRuns: 1000 },
    );
  });

  it('formatDigest then parseDigest gives back any sha256, and the hex can never name a path', () => {
    fc.assert(
      fc.property(hex, (h) => {
        expect(parseDigest(formatDigest(h))).toBe(h);
        expect(isSha256Hex(h)).toBe(true);
        expect(h).not.toMatch(/[/\\.%]/);
      }),
      { numRuns: 300 },
    );
  });

  it('requireSha256Hex refuses exactly what isSha256Hex rejects, saying so without the value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hex,
          digestLike,
          hex.map((h) => h.toUpperCase()),
        ),
        (text) => {
          const error = refusal(() => requireSha256Hex(text));
          expect(error === undefined).toBe(isSha256Hex(text));
          if (error) expect(error.message).toBe('a digest must be 64 lower-case hex characters');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('sha256Hex hashes a string as its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (text) => {
        expect(sha256Hex(text)).toBe(sha256Hex(new TextEncoder().encode(text)));
      }),
      { numRuns: 200 },
    );
  });
});
