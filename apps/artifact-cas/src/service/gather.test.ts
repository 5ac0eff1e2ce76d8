import { describe, expect, it } from 'vitest';
import { gather } from './gather.js';

async function collect(chunks: number[], size: number): Promise<number[]> {
  async function* source() {
    let value = 0;
    for (const length of chunks) yield Uint8Array.from({ length }, () => value++ % 251);
  }
  const out: number[] = [];
  const bytes: number[] = [];
  for await (const { parts, bytes: length } of gather(source(), size)) {
    expect(parts.reduce((sum, part) => sum + part.byteLength, 0)).toBe(length);
    out.push(length);
    for (const part of parts) bytes.push(...part);
  }
  expect(bytes).toEqual(Array.from({ length: bytes.length }, (_, i) => i % 251));
  return out;
}

describe('gather', () => {
  it('coalesces small chunks and splits large ones', async () => {
    expect(await collect([3, 3, 3, 3], 4)).toEqual([4, 4, 4]);
    expect(await collect([10], 4)).toEqual([4, 4, 2]);
    expect(await collect([1, 9, 2], 4)).toEqual([4, 4, 4]);
    expect(await collect([], 4)).toEqual([]);
  });

  it('does not yield the tail before the source ends', async () => {
    async function* failing() {
      yield new Uint8Array(6);
      throw new Error('corrupt');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const piece of gather(failing(), 4)) seen.push(piece.bytes);
      })(),
    ).rejects.toThrow('corrupt');
    expect(seen).toEqual([4]);
  });
});
