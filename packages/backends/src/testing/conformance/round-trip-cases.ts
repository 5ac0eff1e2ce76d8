import { Code } from '@cairn/errors';
import { expect, it } from 'vitest';
import { type ContextGetter, expectCairnError, expectNoLeftovers, type ResolvedOptions } from './context.js';
import { describeBody, describeGenerated, MiB, pseudoRandomSource } from './pseudo-random.js';

export function roundTripCases(context: ContextGetter, options: ResolvedOptions): void {
  for (const [label, size, chunkBytes] of [
    ['0 B', 0, MiB],
    ['1 B', 1, MiB],
    ['1 MiB in odd-sized chunks', MiB, 64 * 1024 + 7],
    ['256 MiB', 256 * MiB, MiB],
  ] as const) {
    it(
      `stores and reads back ${label} byte for byte`,
      async () => {
        const { store, target, live, seed } = context();
        const name = seed(`round-trip-${size}`);
        const blob = await describeGenerated(name, size);
        expect(await store.upload(pseudoRandomSource(name, size, chunkBytes), blob, live)).toEqual({
          existed: false,
        });
        expect(await target.listVisible(live)).toContain(blob.hex);
        const download = await store.download(blob.hex, { offset: 0 }, live);
        expect({ offset: download.offset, length: download.length }).toEqual({ offset: 0, length: size });
        expect(await describeBody(download.body)).toEqual(blob);
        await expectNoLeftovers(context());
      },
      size >= 256 * MiB ? options.largeTestTimeoutMs : undefined,
    );
  }

  it('stores a blob fed chunk by chunk, reporting progress', async () => {
    const { store, live, seed } = context();
    const name = seed('chunk-by-chunk');
    const blob = await describeGenerated(name, 3 * MiB + 1);
    const upload = await store.beginUpload(blob, live);
    let expected = 0;
    for await (const chunk of pseudoRandomSource(name, blob.size, 700 * 1024)) {
      await upload.write(chunk, live);
      expected += chunk.byteLength;
      expect(upload.received).toBe(expected);
    }
    expect(await store.exists(blob.hex, live)).toBe(false);
    await upload.finish(live);
    expect(upload.state).toBe('committed');
    const download = await store.download(blob.hex, { offset: 0 }, live);
    expect(await describeBody(download.body)).toEqual(blob);
  });

  it('answers an upload of a stored blob with existed, without reading the source', async () => {
    const { store, live, seed } = context();
    const name = seed('existing');
    const blob = await describeGenerated(name, 2 * MiB);
    await store.upload(pseudoRandomSource(name, blob.size), blob, live);
    let touched = false;
    const untouchable: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]() {
        touched = true;
        throw new Error('the source of an existing blob was read');
      },
    };
    expect(await store.upload(untouchable, blob, live)).toEqual({ existed: true });
    expect(touched).toBe(false);
  });

  it('describes a blob with its file name and media type, and without them when none were given', async () => {
    const { store, live, seed } = context();
    const withMeta = await describeGenerated(seed('meta'), 1000);
    const meta = { fileName: 'build log — café (1).txt', mediaType: 'text/plain; charset=utf-8' };
    await store.upload(pseudoRandomSource(seed('meta'), withMeta.size), withMeta, live, meta);
    expect(await store.exists(withMeta.hex, live)).toBe(true);
    expect(await store.describe(withMeta.hex, live)).toEqual({ ...withMeta, ...meta });
    expect((await store.download(withMeta.hex, { offset: 0 }, live)).info).toEqual({ ...withMeta, ...meta });

    const bare = await describeGenerated(seed('no-meta'), 1000);
    await store.upload(pseudoRandomSource(seed('no-meta'), bare.size), bare, live);
    const info = await store.describe(bare.hex, live);
    expect(info).toMatchObject(bare);
    expect(info?.fileName).toBeUndefined();
    expect(info?.mediaType).toBeUndefined();
  });

  it('reports a missing blob as absent, and its download as NOT_FOUND', async () => {
    const { store, target, live } = context();
    const missing = 'f'.repeat(64);
    expect(await store.exists(missing, live)).toBe(false);
    expect(await store.describe(missing, live)).toBeUndefined();
    await expectCairnError(store.download(missing, { offset: 0 }, live), Code.NotFound);
    expect(await target.listVisible(live)).not.toContain(missing);
  });

  it('proves write access without leaving anything behind', async () => {
    const { store, target, live } = context();
    const before = await target.listVisible(live);
    await store.checkWriteAccess(live);
    expect(await target.listVisible(live)).toEqual(before);
    await expectNoLeftovers(context());
  });
}
