/**
 * Re-cuts a byte stream into pieces of exactly `size` bytes (the last may be shorter): large pieces are
 * split without copying, small ones are gathered so each message carries a useful amount of data.
 */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (rest.length > 0) {
      if (pendingBytes === 0 && rest.length >= size) {
        yield rest.subarray(0, size);
        rest = rest.subarray(size);
        continue;
      }
      const take = Math.min(size - pendingBytes, rest.length);
      // Copied: the source may reuse its buffer once we ask for the next piece.
      pending.push(rest.slice(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes === size) {
        yield Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
