import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { formatDigest, isDigest, isSha256Hex, parseDigest, requireSha256Hex, sha256Hex } from './digest.js';

const hex = 'a'.repeat(64);

describe('parseDigest', () => {
  it('returns the hex of a sha256 digest, which formatDigest turns back', () => {
    expect(parseDigest(`sha256:${hex}`)).toBe(hex);
    expect(formatDigest(hex)).toBe(`sha256:${hex}`);
  });

  it.each([
    ['no algorithm', hex],
    ['upper-case hex', `sha256:${'A'.repeat(64)}`],
    ['short hex', `sha256:${'a'.repeat(63)}`],
    ['other algorithm', `sha512:${hex}`],
    ['empty', ''],
  ])('refuses %s as INVALID_ARGUMENT', (_, digest) => {
    expect(() => parseDigest(digest)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
  });

  it('says what a digest looks like, showing at most 80 characters of what it was given', () => {
    expect(() => parseDigest('md5:abc')).toThrow(
      '"md5:abc" is not a digest; expected "sha256:" followed by 64 lower-case hex characters',
    );
    expect(() => parseDigest('x'.repeat(200))).toThrow(`"${'x'.repeat(77)}..." is not a digest`);
  });
});

describe('isSha256Hex and requireSha256Hex', () => {
  it('accept exactly 64 lower-case hex characters', () => {
    expect(isSha256Hex(hex)).toBe(true);
    expect(() => requireSha256Hex(hex)).not.toThrow();
    for (const value of [
      'A'.repeat(64),
      'a'.repeat(63),
      'a'.repeat(65),
      `sha256:${hex}`,
      '../../etc/passwd',
      '',
    ]) {
      expect(isSha256Hex(value), value).toBe(false);
      expect(() => requireSha256Hex(value)).toThrow(
        expect.objectContaining({
          code: Code.InvalidArgument,
          message: 'a digest must be 64 lower-case hex characters',
        }),
      );
    }
  });
});

describe('isDigest', () => {
  it('accepts what parseDigest accepts and nothing else', () => {
    expect(isDigest(`sha256:${hex}`)).toBe(true);
    for (const value of [
      hex,
      `sha256:${'A'.repeat(64)}`,
      `sha512:${hex}`,
      `sha256:${hex}\n`,
      '',
      42,
      undefined,
    ]) {
      expect(isDigest(value), String(value)).toBe(false);
    }
  });
});

describe('sha256Hex', () => {
  it('hashes bytes and text alike', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(sha256Hex(new Uint8Array(0))).toBe(empty);
    expect(sha256Hex('')).toBe(empty);
    expect(sha256Hex('{}')).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});
