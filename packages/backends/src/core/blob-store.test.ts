import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { MemoryDriver } from '../testing/memory-driver.js';
import { createBlobStore } from './blob-store.js';

const live = new AbortController().signal;

function blobOf(text: string): { bytes: Buffer; ref: { hex: string; size: number } } {
  const bytes = Buffer.from(text);
  return { bytes, ref: { hex: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength } };
}

async function* chunksOf(bytes: Buffer, size = 3): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('createBlobStore', () => {
  it('refuses a malformed digest before the driver sees it', async () => {
    const driver = new MemoryDriver();
    const store = createBlobStore(driver);
    for (const hex of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63), '']) {
      expect((await failure(store.exists(hex, live))).code).toBe(Code.InvalidArgument);
      expect((await failure(store.describe(hex, live))).code).toBe(Code.InvalidArgument);
      expect((await failure(store.download(hex, { offset: 0 }, live))).code).toBe(Code.InvalidArgument);
      expect((await failure(store.upload(chunksOf(Buffer.from('x')), { hex, size: 1 }, live))).code).toBe(
        Code.InvalidArgument,
      );
    }
    const { ref } = blobOf('x');
    expect((await failure(store.beginUpload({ ...ref, size: -1 }, live))).code).toBe(Code.InvalidArgument);
    expect(driver.calls).toEqual([]);
  });

  it('stores, describes and reads back a blob with its metadata', async () => {
    const store = createBlobStore(new MemoryDriver());
    const { bytes, ref } = blobOf('an SBOM, in a few chunks');
    const meta = { fileName: 'sbom.json', mediaType: 'application/json' };
    expect(await store.upload(chunksOf(bytes), ref, live, meta)).toEqual({ existed: false });
    expect(await store.exists(ref.hex, live)).toBe(true);
    expect(await store.describe(ref.hex, live)).toEqual({ ...ref, ...meta });
    const download = await store.download(ref.hex, { offset: 0 }, live);
    expect(download).toMatchObject({ offset: 0, length: ref.size });
    expect((await collect(download.body)).equals(bytes)).toBe(true);
  });

  it('short-circuits a stored blob without touching the source', async () => {
    const driver = new MemoryDriver();
    const store = createBlobStore(driver);
    const { bytes, ref } = blobOf('already here');
    await store.upload(chunksOf(bytes), ref, live);
    const untouchable: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        throw new Error('the source was read');
      },
    };
    expect(await store.upload(untouchable, ref, live)).toEqual({ existed: true });
    expect(driver.calls.filter((call) => call.startsWith('stage'))).toHaveLength(1);
  });

  it('yields exactly the range asked for, verified against the whole blob', async () => {
    const store = createBlobStore(new MemoryDriver());
    const { bytes, ref } = blobOf('0123456789abcdefghij');
    await store.upload(chunksOf(bytes), ref, live);
    for (const [offset, length] of [
      [0, 1],
      [3, 9],
      [19, 1],
      [5, 0],
      [17, 100],
    ] as const) {
      const download = await store.download(ref.hex, { offset, length }, live);
      const expected = bytes.subarray(offset, offset + length);
      expect(download.length).toBe(expected.byteLength);
      expect((await collect(download.body)).equals(expected)).toBe(true);
    }
    expect((await failure(store.download(ref.hex, { offset: 20 }, live))).code).toBe(Code.OutOfRange);
    expect((await failure(store.download('0'.repeat(64), { offset: 0 }, live))).code).toBe(Code.NotFound);
  });

  it('ends the read of a corrupted blob with DATA_LOSS before the last chunk', async () => {
    const driver = new MemoryDriver();
    const store = createBlobStore(driver);
    const { bytes, ref } = blobOf('twenty bytes of data');
    await store.upload(chunksOf(bytes), ref, live);
    const stored = driver.blobs.get(ref.hex)?.bytes;
    stored?.writeUInt8(0x00, 7);
    const received: Uint8Array[] = [];
    const download = await store.download(ref.hex, { offset: 0 }, live);
    const error = await failure(
      (async () => {
        for await (const chunk of download.body) received.push(chunk);
      })(),
    );
    expect(error.code).toBe(Code.DataLoss);
    expect(Buffer.concat(received).byteLength).toBeLessThan(ref.size);
  });

  it('ends a read with DATA_LOSS when the driver yields more or fewer bytes than the blob has', async () => {
    const driver = new MemoryDriver();
    const store = createBlobStore(driver);
    const { bytes, ref } = blobOf('exact size matters');
    await store.upload(chunksOf(bytes), ref, live);
    const entry = driver.blobs.get(ref.hex);
    if (!entry) throw new Error('not stored');
    const download = await store.download(ref.hex, { offset: 0 }, live);
    entry.bytes = Buffer.concat([bytes, Buffer.from('!')]);
    expect((await failure(collect(download.body))).code).toBe(Code.DataLoss);
    const again = await store.download(ref.hex, { offset: 0, length: 4 }, live);
    entry.bytes = bytes.subarray(0, 10);
    expect((await failure(collect(again.body))).code).toBe(Code.DataLoss);
  });

  it('aborts the staged upload when the source fails or the signal fires, even with a stalled source', async () => {
    const driver = new MemoryDriver();
    const store = createBlobStore(driver);
    const { ref } = blobOf('never completes');
    const broken = (async function* () {
      yield Buffer.from('never');
      throw new Error('connection reset');
    })();
    expect((await failure(store.upload(broken, ref, live))).code).toBe(Code.Internal);

    const controller = new AbortController();
    let closed = false;
    const stalled = (async function* () {
      try {
        yield Buffer.from('never');
        controller.abort();
        await new Promise(() => undefined);
      } finally {
        closed = true;
      }
    })();
    expect((await failure(store.upload(stalled, ref, controller.signal))).code).toBe(Code.Canceled);
    expect(driver.pending.size).toBe(0);
    expect(driver.blobs.size).toBe(0);
    expect(closed).toBe(false);
  });

  it('passes checkWriteAccess and close through', async () => {
    const driver = new MemoryDriver();
    const store = createBlobStore(driver);
    await store.checkWriteAccess(live);
    await store.close();
    expect(driver.calls).toEqual(['checkWriteAccess', 'close']);
    expect((await failure(store.checkWriteAccess(AbortSignal.abort()))).code).toBe(Code.Canceled);
  });
});
