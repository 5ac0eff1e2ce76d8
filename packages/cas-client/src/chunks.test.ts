import { describe, expect, it } from 'vitest';
import { rechunk } from './chunks.js';

async function collect(pieces: Uint8Array[], size: number): Promise<Uint8Array[]> {
  async function* source() {
    yield* pieces;
  }
  const out: Uint8Array[] = [];
  for await (const chunk of rechunk(source(), size)) out.push(Uint8Array.from(chunk));
  return out;
}

describe('rechunk', () => {
  it('splits large pieces and gathers small ones into pieces of the chunk size', async () => {
    const input = [
      new Uint8Array(10).fill(1),
      new Uint8Array(3).fill(2),
      new Uint8Array(1).fill(3),
      new Uint8Array(0),
    ];
    const out = await collect(input, 4);
    expect(out.map((chunk) => chunk.length)).toEqual([4, 4, 4, 2]);
    expect(Buffer.concat(out)).toEqual(Buffer.concat(input));
  });

  it('is not confused by a source that reuses its buffer', async () => {
    const shared = new Uint8Array(3);
    async function* reusing() {
      for (const value of [1, 2, 3]) {
        shared.fill(value);
        yield shared;
      }
    }
    const out: number[] = [];
    for await (const chunk of rechunk(reusing(), 4)) out.push(...chunk);
    expect(out).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });

  it('yields nothing for an empty source', async () => {
    expect(await collect([], 4)).toEqual([]);
  });
});
