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

/** `gather`, with each piece as one buffer: a single view passes through, several are concatenated. */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  for await (const { parts, bytes } of gather(source, size)) {
    const [only] = parts;
    yield parts.length === 1 && only ? only : Buffer.concat(parts, bytes);
  }
}
