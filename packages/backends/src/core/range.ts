import { CairnError, Code } from '@cairn/errors';
import type { ByteRange } from './provider.js';

/**
 * Turns a requested range into the bytes a blob of `size` can give. A range may start anywhere inside
 * the blob (offset 0 of an empty blob included) and its length is cut at the end; a start past the end
 * is OUT_OF_RANGE, as HTTP's 416 and ByteStream's read_offset expect.
 */
export function clampRange(range: ByteRange, size: number): { offset: number; length: number } {
  const { offset } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size || (offset === size && size > 0)) {
    throw new CairnError(
      Code.OutOfRange,
      `offset ${offset} is outside the blob's ${size} bytes; ask for an offset below ${size}`,
    );
  }
  // Any length past the end is cut to it, however large (Infinity included): only nonsense is refused.
  const { length: asked } = range;
  if (
    asked !== undefined &&
    !(asked >= 0 && (Number.isInteger(asked) || asked === Number.POSITIVE_INFINITY))
  ) {
    throw new CairnError(Code.OutOfRange, `length ${range.length} is not a non-negative integer`);
  }
  const available = size - offset;
  const length = asked === undefined ? available : Math.min(asked, available);
  return { offset, length };
}
