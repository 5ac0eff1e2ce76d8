import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { clampRange } from './range.js';

function codeOf(run: () => unknown): Code | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof CairnError ? error.code : undefined;
  }
  return undefined;
}

describe('clampRange', () => {
  it('gives the whole blob when no length is asked', () => {
    expect(clampRange({ offset: 0 }, 10)).toEqual({ offset: 0, length: 10 });
    expect(clampRange({ offset: 4 }, 10)).toEqual({ offset: 4, length: 6 });
  });

  it('accepts offset 0 of an empty blob', () => {
    expect(clampRange({ offset: 0 }, 0)).toEqual({ offset: 0, length: 0 });
    expect(clampRange({ offset: 0, length: 5 }, 0)).toEqual({ offset: 0, length: 0 });
  });

  it('cuts a length that runs past the end', () => {
    expect(clampRange({ offset: 8, length: 100 }, 10)).toEqual({ offset: 8, length: 2 });
    expect(clampRange({ offset: 9, length: 1 }, 10)).toEqual({ offset: 9, length: 1 });
    expect(clampRange({ offset: 3, length: 0 }, 10)).toEqual({ offset: 3, length: 0 });
    expect(clampRange({ offset: 3, length: 2 ** 60 }, 10)).toEqual({ offset: 3, length: 7 });
    expect(clampRange({ offset: 3, length: Number.POSITIVE_INFINITY }, 10)).toEqual({ offset: 3, length: 7 });
  });

  it('refuses an offset at or past the end of a non-empty blob', () => {
    expect(codeOf(() => clampRange({ offset: 10 }, 10))).toBe(Code.OutOfRange);
    expect(codeOf(() => clampRange({ offset: 11 }, 10))).toBe(Code.OutOfRange);
    expect(codeOf(() => clampRange({ offset: 1 }, 0))).toBe(Code.OutOfRange);
  });

  it('refuses negative, fractional and unsafe numbers', () => {
    expect(codeOf(() => clampRange({ offset: -1 }, 10))).toBe(Code.OutOfRange);
    expect(codeOf(() => clampRange({ offset: 1.5 }, 10))).toBe(Code.OutOfRange);
    expect(codeOf(() => clampRange({ offset: Number.NaN }, 10))).toBe(Code.OutOfRange);
    expect(codeOf(() => clampRange({ offset: 0, length: -1 }, 10))).toBe(Code.OutOfRange);
    expect(codeOf(() => clampRange({ offset: 0, length: 2.5 }, 10))).toBe(Code.OutOfRange);
  });
});
