import { randomInt } from 'node:crypto';
import { Code } from '@cairn/errors';
import { expect, it } from 'vitest';
import { type ContextGetter, expectCairnError, expectNoLeftovers, expectNotVisible } from './context.js';
import {
  describeBody,
  describeGenerated,
  MiB,
  pseudoRandomChunks,
  pseudoRandomSource,
} from './pseudo-random.js';

/** Big enough that multipart and block-based backends have stored parts before the failure. */
const SIZE = 12 * MiB + 5;

export function refusalCases(context: ContextGetter): void {
  it('refuses bytes that do not match the digest, storing nothing', async () => {
    const ctx = context();
    const blob = await describeGenerated(ctx.seed('declared'), SIZE);
    const error = await expectCairnError(
      ctx.store.upload(pseudoRandomSource(ctx.seed('other bytes'), SIZE), blob, ctx.live),
      Code.InvalidArgument,
    );
    expect(error.details.reason).toBe('digest_mismatch');
    await expectNotVisible(ctx, blob.hex);
    await expectNoLeftovers(ctx);
  });

  it('refuses fewer bytes than declared, storing nothing', async () => {
    const ctx = context();
    const name = ctx.seed('too-few');
    const blob = await describeGenerated(name, SIZE);
    const error = await expectCairnError(
      ctx.store.upload(pseudoRandomSource(name, SIZE - 1), blob, ctx.live),
      Code.InvalidArgument,
    );
    expect(error.details.reason).toBe('size_mismatch');
    await expectNotVisible(ctx, blob.hex);
    await expectNoLeftovers(ctx);
  });

  it('refuses more bytes than declared, storing nothing', async () => {
    const ctx = context();
    const name = ctx.seed('too-many');
    const blob = await describeGenerated(name, SIZE);
    // The same seed, one byte longer: the declared blob followed by an extra byte.
    const error = await expectCairnError(
      ctx.store.upload(pseudoRandomSource(name, SIZE + 1, 3 * MiB), blob, ctx.live),
      Code.InvalidArgument,
    );
    expect(error.details.reason).toBe('size_mismatch');
    await expectNotVisible(ctx, blob.hex);
    await expectNoLeftovers(ctx);
  });

  for (const sourceAfterAbort of ['keeps sending', 'stalls'] as const) {
    it(`cancels an upload at a random offset when its signal fires (the source ${sourceAfterAbort})`, async () => {
      const ctx = context();
      const name = ctx.seed(`abort-${sourceAfterAbort}`);
      const blob = await describeGenerated(name, SIZE);
      const abortAt = randomInt(1, SIZE);
      const controller = new AbortController();
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      async function* source(): AsyncGenerator<Uint8Array> {
        let sent = 0;
        for (const chunk of pseudoRandomChunks(name, SIZE, 256 * 1024 + 3)) {
          if (sent <= abortAt && abortAt < sent + chunk.byteLength) {
            controller.abort();
            if (sourceAfterAbort === 'stalls') await released;
          }
          sent += chunk.byteLength;
          yield chunk;
        }
      }
      try {
        await expectCairnError(ctx.store.upload(source(), blob, controller.signal), Code.Canceled);
      } finally {
        release();
      }
      await expectNotVisible(ctx, blob.hex);
      expect(await ctx.target.leftovers(ctx.live), `leftovers after a cancel at byte ${abortAt}`).toEqual([]);
    });
  }

  it('cancels an upload fed chunk by chunk when it is aborted midway', async () => {
    const ctx = context();
    const name = ctx.seed('explicit-abort');
    const blob = await describeGenerated(name, SIZE);
    const upload = await ctx.store.beginUpload(blob, ctx.live);
    let sent = 0;
    for (const chunk of pseudoRandomChunks(name, SIZE)) {
      if (sent > SIZE / 2) break;
      await upload.write(chunk, ctx.live);
      sent += chunk.byteLength;
    }
    await upload.abort();
    expect(upload.state).toBe('aborted');
    await expectCairnError(upload.finish(ctx.live), Code.FailedPrecondition);
    await expectNotVisible(ctx, blob.hex);
    await expectNoLeftovers(ctx);
  });

  it('keeps the right bytes when uploads of the same blob race, a corrupt one among them', async () => {
    const ctx = context();
    const name = ctx.seed('concurrent');
    const blob = await describeGenerated(name, SIZE);
    const good = Array.from({ length: 4 }, () =>
      ctx.store.upload(pseudoRandomSource(name, SIZE, 512 * 1024), blob, ctx.live),
    );
    // Its outcome is awaited (and so handled) from the start: it may fail before the others finish.
    const corrupt = expectCairnError(
      ctx.store.upload(pseudoRandomSource(ctx.seed('impostor'), SIZE, 512 * 1024), blob, ctx.live),
      Code.InvalidArgument,
    );
    const outcomes = await Promise.allSettled(good);
    for (const outcome of outcomes) {
      expect(outcome.status, String(outcome.status === 'rejected' && outcome.reason)).toBe('fulfilled');
    }
    await corrupt;
    const download = await ctx.store.download(blob.hex, { offset: 0 }, ctx.live);
    expect(await describeBody(download.body)).toEqual(blob);
    expect((await ctx.target.listVisible(ctx.live)).filter((hex) => hex === blob.hex)).toHaveLength(1);
    await expectNoLeftovers(ctx);
  });
}
