import { Code } from '@cairn/errors';
import { expect, it } from 'vitest';
import { createBlobStore } from '../../core/blob-store.js';
import type { Driver } from '../../core/provider.js';
import { type ContextGetter, expectCairnError } from './context.js';
import {
  describeBody,
  describeGenerated,
  MiB,
  pseudoRandomBytes,
  pseudoRandomSource,
} from './pseudo-random.js';

const SIZE = 3 * MiB + 5;

export function readCases(context: ContextGetter): void {
  it('reads ranges at the start, in the middle and at the end, cutting lengths at the end', async () => {
    const { store, live, seed } = context();
    const name = seed('ranges');
    const blob = await describeGenerated(name, SIZE);
    await store.upload(pseudoRandomSource(name, SIZE), blob, live);
    const bytes = pseudoRandomBytes(name, SIZE);
    for (const range of [
      { offset: 0, length: 10 },
      { offset: 0 },
      { offset: 1.5 * MiB + 3, length: MiB + 1 },
      { offset: MiB - 1, length: 2 },
      { offset: SIZE - 7 },
      { offset: SIZE - 5, length: 100 },
      { offset: SIZE - 1, length: 1 },
      { offset: 12, length: 0 },
    ]) {
      const download = await store.download(blob.hex, range, live);
      const expected = bytes.subarray(
        range.offset,
        range.length === undefined ? SIZE : range.offset + range.length,
      );
      expect({ offset: download.offset, length: download.length }).toEqual({
        offset: range.offset,
        length: expected.byteLength,
      });
      const received: Uint8Array[] = [];
      for await (const chunk of download.body) received.push(chunk);
      expect(Buffer.concat(received).equals(expected), `range ${JSON.stringify(range)}`).toBe(true);
    }
    await expectCairnError(store.download(blob.hex, { offset: SIZE }, live), Code.OutOfRange);
    await expectCairnError(store.download(blob.hex, { offset: SIZE + 10, length: 1 }, live), Code.OutOfRange);
  });

  it('ends a download with CANCELED when its signal fires midway, and the backend still serves the blob', async () => {
    const { store, live, seed } = context();
    const name = seed('cancel-read');
    const size = 20 * MiB + 3;
    const blob = await describeGenerated(name, size);
    await store.upload(pseudoRandomSource(name, size), blob, live);
    const controller = new AbortController();
    const download = await store.download(blob.hex, { offset: 0 }, controller.signal);
    let received = 0;
    await expectCairnError(
      (async () => {
        for await (const chunk of download.body) {
          received += chunk.byteLength;
          if (received >= MiB) controller.abort();
        }
      })(),
      Code.Canceled,
    );
    expect(received).toBeLessThan(size);
    // The canceled read released what it held (a connection, a file handle): the next one succeeds.
    expect(await describeBody((await store.download(blob.hex, { offset: 0 }, live)).body)).toEqual(blob);
  });

  it('ends the read of a corrupted blob with DATA_LOSS before its last chunk', async () => {
    const { store, target, live, seed } = context();
    const name = seed('corrupt');
    const blob = await describeGenerated(name, SIZE);
    await store.upload(pseudoRandomSource(name, SIZE), blob, live);
    let reader = store;
    if (target.corrupt) await target.corrupt(blob.hex, live);
    else reader = createBlobStore(flippingDriver(target.driver));

    const received: Uint8Array[] = [];
    const whole = await reader.download(blob.hex, { offset: 0 }, live);
    const error = await expectCairnError(
      (async () => {
        for await (const chunk of whole.body) received.push(chunk);
      })(),
      Code.DataLoss,
    );
    expect(error.details.reason).toBe('stored_blob_corrupt');
    expect(Buffer.concat(received).byteLength).toBeLessThan(SIZE);

    const head = await reader.download(blob.hex, { offset: 0, length: 16 }, live);
    const headBytes: Uint8Array[] = [];
    await expectCairnError(
      (async () => {
        for await (const chunk of head.body) headBytes.push(chunk);
      })(),
      Code.DataLoss,
    );
    expect(headBytes).toEqual([]);
  });
}

/** The provider's driver with one byte in the middle of every read inverted on its way up. */
function flippingDriver(driver: Driver): Driver {
  return {
    stage: (blob, meta, signal) => driver.stage(blob, meta, signal),
    stat: (hex, signal) => driver.stat(hex, signal),
    checkWriteAccess: (signal) => driver.checkWriteAccess(signal),
    close: async () => {},
    async read(hex, range, signal) {
      const info = await driver.stat(hex, signal);
      const target = Math.floor((info?.size ?? 0) / 2);
      const body = await driver.read(hex, range, signal);
      return (async function* () {
        let position = range.offset;
        for await (const chunk of body) {
          if (position <= target && target < position + chunk.byteLength) {
            const copy = Buffer.from(chunk);
            copy.writeUInt8(copy.readUInt8(target - position) ^ 0xff, target - position);
            yield copy;
          } else {
            yield chunk;
          }
          position += chunk.byteLength;
        }
      })();
    },
  };
}
