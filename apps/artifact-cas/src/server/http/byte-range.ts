import { CairnError, Code } from '@cairn/errors';

/** A satisfiable single range of a blob: first byte and length. */
export interface ResolvedRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * Reads an HTTP `Range` header against a blob of `size` bytes (RFC 9110 §14). Returns undefined when the
 * whole blob should be sent: no header, a header that is not a byte range, or several ranges (allowed to
 * be ignored, and multipart responses buy evidence readers nothing). A well-formed range that selects no
 * byte is OUT_OF_RANGE (416).
 */
export function resolveRange(header: string | undefined, size: number): ResolvedRange | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable(header, size);
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const offset = Number(first);
  if (!Number.isSafeInteger(offset) || offset >= size) throw unsatisfiable(header, size);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < offset) return undefined; // last < first is a syntactically invalid range: ignore it.
  return { offset, length: end - offset + 1 };
}

function unsatisfiable(header: string, size: number): CairnError {
  return new CairnError(
    Code.OutOfRange,
    `the range "${header.slice(0, 60)}" selects no byte of this ${size}-byte blob; ask for bytes 0-${Math.max(size - 1, 0)} or fewer`,
    { details: { reason: 'range_not_satisfiable' } },
  );
}
