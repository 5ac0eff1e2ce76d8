import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

const chunk = (byte: number, size = 4) => new Uint8Array(size).fill(byte);

describe('readAhead', () => {
  it('yields every chunk in order', async () => {
    async function* source() {
      for (let i = 0; i < 50; i++) yield chunk(i);
    }
    const seen: number[] = [];
    for await (const piece of readAhead(source(), 16)) seen.push(piece[0] ?? -1);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('reads ahead while the consumer is busy, but no more than the limit', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield chunk(i, 10);
      }
    }
    const iterator = readAhead(source(), 50)[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One chunk handed over, five queued (50 bytes), and at most the one the producer was holding.
    expect(pulled).toBeGreaterThanOrEqual(5);
    expect(pulled).toBeLessThanOrEqual(7);
    await iterator.return?.(undefined);
  });

  it("passes the source's error on after the chunks before it", async () => {
    async function* source() {
      yield chunk(1);
      throw new Error('socket reset');
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const piece of readAhead(source(), 64)) seen.push(piece[0] ?? -1);
    }).rejects.toThrow('socket reset');
    expect(seen).toEqual([1]);
  });

  it('returns the source when the consumer stops early, even while a pull is pending', async () => {
    let returned = false;
    let release: (() => void) | undefined;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        let sent = false;
        return {
          async next() {
            if (!sent) {
              sent = true;
              return { done: false, value: chunk(1) };
            }
            await new Promise<void>((resolve) => {
              release = resolve;
            });
            return { done: true, value: undefined };
          },
          async return() {
            returned = true;
            release?.();
            return { done: true, value: undefined };
          },
        };
      },
    };
    for await (const _ of readAhead(source, 64)) break;
    expect(returned).toBe(true);
  });
});
