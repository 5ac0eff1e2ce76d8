import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { PartPipeline, partSizeFor } from './part-pipeline.js';

const live = new AbortController().signal;
const bytes = (length: number, start = 0) => Uint8Array.from({ length }, (_, index) => (start + index) % 251);

/** An uploader whose parts finish only when the test says so. */
function heldUploads() {
  const started: { index: number; bytes: Buffer; signal: AbortSignal; finish: (error?: unknown) => void }[] =
    [];
  const upload = (index: number, part: Buffer, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      const finish = (error?: unknown) => (error === undefined ? resolve() : reject(error));
      started.push({ index, bytes: Buffer.from(part), signal, finish });
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  return { started, upload };
}

describe('PartPipeline', () => {
  it('uploads full parts as they fill and holds the last one back for finish', async () => {
    const uploaded: [number, number[]][] = [];
    const pipeline = new PartPipeline(25, { partSize: 10, maxInFlight: 2 }, async (index, part) => {
      uploaded.push([index, [...part]]);
    });
    expect(pipeline.partCount).toBe(3);
    for (const [offset, length] of [
      [0, 7],
      [7, 7],
      [14, 11],
    ] as const) {
      await pipeline.write(bytes(length, offset), live);
    }
    const last = await pipeline.finish(live);
    expect(uploaded).toEqual([
      [0, [...bytes(10)]],
      [1, [...bytes(10, 10)]],
    ]);
    expect({ index: last.index, bytes: [...last.bytes] }).toEqual({ index: 2, bytes: [...bytes(5, 20)] });
  });

  it('holds a blob of one part (or none) entirely for finish', async () => {
    const empty = new PartPipeline(0, { partSize: 10, maxInFlight: 2 }, async () => {
      throw new Error('no part may be sent early');
    });
    expect(await empty.finish(live)).toMatchObject({ index: 0, bytes: Buffer.alloc(0) });
    const single = new PartPipeline(10, { partSize: 10, maxInFlight: 2 }, async () => {
      throw new Error('no part may be sent early');
    });
    await single.write(bytes(10), live);
    expect([...(await single.finish(live)).bytes]).toEqual([...bytes(10)]);
  });

  it('lets a write wait while maxInFlight parts are on their way', async () => {
    const { started, upload } = heldUploads();
    const pipeline = new PartPipeline(50, { partSize: 10, maxInFlight: 2 }, upload);
    await pipeline.write(bytes(20), live);
    expect(started.map((part) => part.index)).toEqual([0, 1]);
    let written = false;
    const third = pipeline.write(bytes(10, 20), live).then(() => {
      written = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBe(false);
    expect(started).toHaveLength(2);
    started[0]?.finish();
    await third;
    expect(started.map((part) => part.index)).toEqual([0, 1, 2]);
    for (const part of started.slice(1)) part.finish();
    await pipeline.write(bytes(20, 30), live);
    started[3]?.finish();
    expect((await pipeline.finish(live)).index).toBe(4);
  });

  it('reports a failed part at the next write', async () => {
    const { started, upload } = heldUploads();
    const pipeline = new PartPipeline(40, { partSize: 10, maxInFlight: 2 }, upload);
    await pipeline.write(bytes(10), live);
    const refused = new CairnError(Code.Unavailable, 'part refused');
    started[0]?.finish(refused);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(pipeline.write(bytes(10, 10), live)).rejects.toBe(refused);
  });

  it('keeps a part the server refused and sends it again after retryFailed; a refused write takes nothing', async () => {
    const { started, upload } = heldUploads();
    const pipeline = new PartPipeline(35, { partSize: 10, maxInFlight: 2 }, upload);
    await pipeline.write(bytes(20), live);
    const refused = new CairnError(Code.Unavailable, 'storage server away');
    started[0]?.finish(refused);
    started[1]?.finish();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(pipeline.write(bytes(10, 20), live)).rejects.toBe(refused);
    expect(started).toHaveLength(2);

    expect(pipeline.retryFailed()).toBe(true);
    // The same bytes again: the refused write took none of them.
    await pipeline.write(bytes(10, 20), live);
    expect(started.slice(2).map((part) => part.index)).toEqual([0, 2]);
    expect([...(started[2]?.bytes ?? [])]).toEqual([...bytes(10)]);
    for (const part of started.slice(2)) part.finish();
    await pipeline.write(bytes(5, 30), live);
    expect({ ...(await pipeline.finish(live)), bytes: undefined }).toEqual({ index: 3, bytes: undefined });
  });

  it('reports a part refused while finishing, and hands back the same last part once it went again', async () => {
    const { started, upload } = heldUploads();
    const pipeline = new PartPipeline(15, { partSize: 10, maxInFlight: 2 }, upload);
    await pipeline.write(bytes(15), live);
    const finishing = pipeline.finish(live);
    started[0]?.finish(new CairnError(Code.Unavailable, 'storage server away'));
    await expect(finishing).rejects.toMatchObject({ code: Code.Unavailable });
    expect(pipeline.retryFailed()).toBe(true);
    const again = pipeline.finish(live);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started.map((part) => part.index)).toEqual([0, 0]);
    started[1]?.finish();
    expect([...(await again).bytes]).toEqual([...bytes(5, 10)]);
    expect([...(await pipeline.finish(live)).bytes]).toEqual([...bytes(5, 10)]);
  });

  it('cannot retry once cancelled', async () => {
    const pipeline = new PartPipeline(15, { partSize: 10, maxInFlight: 2 }, async () => {});
    await pipeline.cancel();
    expect(pipeline.retryFailed()).toBe(false);
  });

  it('cancel stops parts on their way and ends a waiting write', async () => {
    const { started, upload } = heldUploads();
    const pipeline = new PartPipeline(40, { partSize: 10, maxInFlight: 1 }, upload);
    await pipeline.write(bytes(10), live);
    const waiting = pipeline.write(bytes(10, 10), live);
    const outcome = waiting.then(
      () => 'written',
      (error: unknown) => (error instanceof CairnError ? error.code : error),
    );
    await pipeline.cancel();
    expect(started[0]?.signal.aborted).toBe(true);
    expect(await outcome).toBe(Code.Canceled);
    await expect(pipeline.write(bytes(1), live)).rejects.toMatchObject({ code: Code.Canceled });
  });

  it('refuses more bytes than declared', async () => {
    const pipeline = new PartPipeline(5, { partSize: 10, maxInFlight: 1 }, async () => {});
    await expect(pipeline.write(bytes(6), live)).rejects.toMatchObject({ code: Code.Internal });
  });
});

describe('partSizeFor', () => {
  it('keeps the preferred size unless the part-count limit needs larger parts (whole MiB)', () => {
    const MiB = 1024 * 1024;
    expect(partSizeFor(10 * MiB, 8 * MiB, 10_000)).toBe(8 * MiB);
    expect(partSizeFor(80_000 * MiB, 8 * MiB, 10_000)).toBe(8 * MiB);
    expect(partSizeFor(80_000 * MiB + 1, 8 * MiB, 10_000)).toBe(9 * MiB);
  });
});
