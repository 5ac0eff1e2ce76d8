import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.js';
import { parseAnnotations } from './annotations.js';

describe('parseAnnotations', () => {
  it('reads KEY=VALUE, splitting at the first "="', () => {
    expect(parseAnnotations(['team=core', 'query=a=b', 'empty='], 'x')).toEqual({
      team: 'core',
      query: 'a=b',
      empty: '',
    });
  });

  // A counterexample fast-check found (annotations.property.test.ts).
  it('takes keys every object inherits, such as constructor, once (it said "given twice")', () => {
    expect(parseAnnotations(['constructor='], 'x')).toEqual({ constructor: '' });
    expect(parseAnnotations(['toString=a', 'valueOf=b'], 'x')).toEqual({ toString: 'a', valueOf: 'b' });
    expect(() => parseAnnotations(['constructor=a', 'constructor=b'], 'x')).toThrow(
      new UsageError('--annotation constructor is given twice', 'x'),
    );
  });
});
