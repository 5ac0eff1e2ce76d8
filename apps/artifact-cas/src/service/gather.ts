/**
 * Regroups a byte stream into pieces of `size` bytes (the last may be shorter), each given as the list
 * of views it is made of, so a caller that copies anyway (an encoder) copies once: small reads are grouped,
 * large ones split, and nothing is copied here. A piece is yielded only once the source has handed over
 * all of it, so the source's hold-back of its last chunk (until the digest matched) carries through.
 */
export async function* gather(
  source: AsyncIterable<Uint8Array>,
  size: number,
): AsyncGenerator<{ readonly parts: readonly Uint8Array[]; readonly bytes: number }> {
  let parts: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (rest.byteLength > 0) {
      const take = Math.min(size - bytes, rest.byteLength);
      parts.push(rest.subarray(0, take));
      bytes += take;
      rest = rest.subarray(take);
      if (bytes === size) {
        yield { parts, bytes };
        parts = [];
        bytes = 0;
      }
    }
  }
  if (bytes > 0) yield { parts, bytes };
}
