import { Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_REF_LENGTH, validateSecretRef } from './secret-ref.js';

describe('validateSecretRef', () => {
  it('accepts relative paths of [A-Za-z0-9._-]+ segments', () => {
    for (const ref of [
      'a',
      'orgs/acme/backends/b1',
      'A.b_c-d/0',
      '.hidden/x',
      'x'.repeat(MAX_SECRET_REF_LENGTH),
    ]) {
      expect(validateSecretRef(ref)).toBe(ref);
    }
  });

  it.each([
    ['', 'empty'],
    ['../x', "'..'"],
    ['a/./b', "'..'"],
    ['/abs', "start with '/'"],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['a b', 'not allowed'],
    ['a%2Fb', 'not allowed'],
    ['x'.repeat(MAX_SECRET_REF_LENGTH + 1), 'limit'],
  ])('rejects %j with INVALID_ARGUMENT saying why', (ref, why) => {
    expect(() => validateSecretRef(ref)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
    expect(() => validateSecretRef(ref)).toThrow(why);
  });

  it('rejects non-strings', () => {
    expect(() => validateSecretRef(undefined)).toThrow(
      expect.objectContaining({ code: Code.InvalidArgument }),
    );
  });
});
