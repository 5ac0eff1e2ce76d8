import { CairnError, Code } from '@cairn/errors';

/** A satisfiable single range of a blob: first byte and length. */
export interface ResolvedRange {
  readonly offset: number;
  readonly length: number;
}

/**
 * `bytes=` and a range-set, `1#range-spec` (RFC 9110 §14.1.1), which as any list may hold empty elements and
 * white space around its commas (§5.6.1), but nowhere else. A range-spec never holds ',', SP or HTAB.
 */
const BYTE_RANGES = /^bytes=((?:,[ \t]*)*[^, \t]+(?:[ \t]*,(?:[ \t]*[^, \t]+)?)*)$/i;
const INT_RANGE = /^(\d+)-(\d*)$/;
const SUFFIX_RANGE = /^-(\d+)$/;

/**
 * Reads an HTTP `Range` header against a blob of `size` bytes (RFC 9110 §14). Returns undefined when the
 * whole blob should be sent: no header, a header that is not a valid byte range (another unit, white space
 * where the grammar has none, a last byte before the first), several ranges (allowed to be ignored, and
 * multipart responses buy evidence readers nothing), or a suffix range of an empty blob (satisfiable, but
 * no 206 can carry zero bytes). A valid range that selects no byte is OUT_OF_RANGE (416). Positions are
 * compared as the integers they spell, however many digits they have.
 */
export function resolveRange(header: string | undefined, size: number): ResolvedRange | undefined {
  if (header === undefined) return undefined;
  const rangeSet = BYTE_RANGES.exec(header.replace(/^[ \t]+|[ \t]+$/g, ''))?.[1];
  if (rangeSet === undefined) return undefined;
  const specs = rangeSet.split(/[ \t]*,[ \t]*/).filter((spec) => spec !== '');
  if (specs.length !== 1) return undefined;
  const [spec = ''] = specs;
  const total = BigInt(size);
  const suffix = SUFFIX_RANGE.exec(spec);
  if (suffix) {
    const wanted = BigInt(suffix[1] ?? '');
    if (wanted === 0n) throw unsatisfiable(header, size);
    if (total === 0n) return undefined;
    const length = wanted < total ? wanted : total;
    return { offset: Number(total - length), length: Number(length) };
  }
  const range = INT_RANGE.exec(spec);
  if (!range) return undefined;
  const first = BigInt(range[1] ?? '');
  const last = range[2] === '' || range[2] === undefined ? undefined : BigInt(range[2]);
  if (last !== undefined && last < first) return undefined; // an invalid range-spec: ignore it.
  if (first >= total) throw unsatisfiable(header, size);
  const end = last === undefined || last >= total ? total - 1n : last;
  return { offset: Number(first), length: Number(end - first + 1n) };
}

function unsatisfiable(header: string, size: number): CairnError {
  return new CairnError(
    Code.OutOfRange,
    `the range "${header.slice(0, 60)}" selects no byte of this ${size}-byte blob; ask for bytes 0-${Math.max(size - 1, 0)} or fewer`,
    { details: { reason: 'range_not_satisfiable' } },
  );
}
