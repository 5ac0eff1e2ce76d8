import { describe, expect, it } from 'vitest';
import { CairnError } from './cairn-error.js';
import { Code, codeName, httpStatusOf } from './code.js';

describe('CairnError', () => {
  it('passes a CairnError through from() unchanged', () => {
    const error = new CairnError(Code.NotFound, 'gone');
    expect(CairnError.from(error)).toBe(error);
  });

  it('turns an AbortError into CANCELED and anything else into the fallback, keeping the cause', () => {
    const abort = CairnError.from(new DOMException('stop', 'AbortError'));
    expect(abort.code).toBe(Code.Canceled);
    const cause = new Error('socket hang up with secret=abc');
    const wrapped = CairnError.from(cause, Code.Unavailable);
    expect(wrapped.code).toBe(Code.Unavailable);
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.message).not.toContain('secret');
  });

  it('names codes as gRPC does and maps them to HTTP statuses', () => {
    expect(codeName(Code.InvalidArgument)).toBe('INVALID_ARGUMENT');
    expect(codeName(Code.Unauthenticated)).toBe('UNAUTHENTICATED');
    expect(httpStatusOf(Code.Unauthenticated)).toBe(401);
    expect(httpStatusOf(Code.PermissionDenied)).toBe(403);
    expect(httpStatusOf(Code.OutOfRange)).toBe(416);
    expect(httpStatusOf(Code.ResourceExhausted)).toBe(413);
  });
});
