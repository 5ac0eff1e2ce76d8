import { randomBytes } from 'node:crypto';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { byteStream, ReadResponseSchema } from '@cairn/api';
import { describe, expect, it } from 'vitest';
import { encodeReadResponse, readResponses } from './read-responses.js';

/** Cuts `bytes` into parts at the given offsets. */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.byteLength]) {
    parts.push(bytes.subarray(start, cut));
    start = cut;
  }
  return parts;
}

describe('encodeReadResponse', () => {
  // Around every varint length boundary of the field's length, and the CAS's 1 MiB messages.
  const sizes = [0, 1, 127, 128, 129, 16_383, 16_384, 16_385, 1024 * 1024, 2_097_151, 2_097_152];

  it.each(sizes)('writes exactly the bytes protobuf-es writes for %i bytes of data', (size) => {
    const data = randomBytes(size);
    const cuts = size < 3 ? [] : [1, Math.floor(size / 2)];
    const response = encodeReadResponse(split(data, cuts), size);
    const serialized = byteStream.read.responseSerialize(response);
    expect(
      Buffer.compare(
        serialized,
        toBinary(ReadResponseSchema, { $typeName: ReadResponseSchema.typeName, data }),
      ),
    ).toBe(0);
    expect(Buffer.from(response.data).equals(data)).toBe(true);
    expect(Buffer.from(fromBinary(ReadResponseSchema, serialized).data).equals(data)).toBe(true);
  });
});

describe('readResponses', () => {
  it('groups and splits a stream into messages of the given size, holding none back early', async () => {
    const data = randomBytes(10_000);
    async function* source() {
      yield* split(data, [3, 4, 5000, 9000]);
    }
    const sizes: number[] = [];
    const received: Uint8Array[] = [];
    for await (const response of readResponses(source(), 4096)) {
      sizes.push(response.data.byteLength);
      received.push(fromBinary(ReadResponseSchema, byteStream.read.responseSerialize(response)).data);
    }
    expect(sizes).toEqual([4096, 4096, 1808]);
    expect(Buffer.concat(received).equals(data)).toBe(true);
  });
});
