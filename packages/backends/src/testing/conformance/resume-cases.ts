import { setTimeout as sleep } from 'node:timers/promises';
import { Code } from '@cairn/errors';
import { expect, it } from 'vitest';
import { type BlobStore, type BlobUpload, createBlobStore } from '../../core/blob-store.js';
import type { BlobRef } from '../../core/provider.js';
import type { ResolvedOptions } from './context.js';
import {
  type ContextGetter,
  expectCairnError,
  expectNoLeftovers,
  expectNotVisible,
  type SuiteContext,
} from './context.js';
import { describeBody, describeGenerated, MiB, pseudoRandomChunks } from './pseudo-random.js';

/**
 * For drivers whose cloud uploads another process can continue from a checkpoint (`Driver.resumable`
 * with `HashCheckpoints`): a second driver on the same backend plays the other CAS replica.
 */
export function resumeCases(context: ContextGetter, options: ResolvedOptions): void {
  const partSize = options.checkpointEvery;
  if (partSize === undefined) return;
  /** Two whole parts and most of a third before the interruption, then the rest. */
  const size = 3 * partSize + 5;
  const cut = 2 * partSize + MiB;

  async function begin(ctx: SuiteContext, name: string) {
    const blob = await describeGenerated(ctx.seed(name), size);
    const key = ctx.seed(`${name} upload`);
    const first = await ctx.store.beginUpload(blob, ctx.live, {}, key);
    await writeRange(first, ctx.seed(name), 0, cut, ctx.live);
    const other = await anotherProcess(ctx);
    return { blob, key, first, other };
  }

  it('an upload suspended in one process continues in another from its last checkpoint, leaving nothing behind', async () => {
    const ctx = context();
    const { blob, key, first, other } = await begin(ctx, 'suspended');
    try {
      await first.suspend();
      // The part being filled when it stopped is given up: the client sends it again.
      expect(await other.stagedBytes(blob, key, ctx.live)).toBe(2 * partSize);
      const second = await other.beginUpload(blob, ctx.live, {}, key);
      expect(second.received).toBe(2 * partSize);
      await writeRange(second, ctx.seed('suspended'), 2 * partSize, size, ctx.live);
      await second.finish(ctx.live);
      await expectStored(ctx, blob);
      expect(await other.stagedBytes(blob, key, ctx.live)).toBeUndefined();
      await expectNoLeftovers(ctx);
    } finally {
      await other.close();
    }
  });

  it('an upload whose process died continues in another from the checkpoint it saved', async () => {
    const ctx = context();
    const { blob, key, other } = await begin(ctx, 'died');
    try {
      // The first process is gone without a word: only what it saved as it went counts.
      const staged = await eventually(() => other.stagedBytes(blob, key, ctx.live), 2 * partSize);
      expect(staged).toBe(2 * partSize);
      const second = await other.beginUpload(blob, ctx.live, {}, key);
      await writeRange(second, ctx.seed('died'), 2 * partSize, size, ctx.live);
      await second.finish(ctx.live);
      await expectStored(ctx, blob);
      await expectNoLeftovers(ctx);
    } finally {
      await other.close();
    }
  });

  it('other bytes sent to the process that continues store nothing, and what is left the sweep removes', async () => {
    const ctx = context();
    const { blob, key, first, other } = await begin(ctx, 'tampered');
    try {
      await first.suspend();
      const second = await other.beginUpload(blob, ctx.live, {}, key);
      await writeRange(second, ctx.seed('other bytes'), 2 * partSize, size, ctx.live);
      const error = await expectCairnError(second.finish(ctx.live), Code.InvalidArgument);
      expect(error.details.reason).toBe('digest_mismatch');
      await expectNotVisible(ctx, blob.hex);
      expect(await other.stagedBytes(blob, key, ctx.live)).toBeUndefined();
      // Parts taken over from the checkpoint may still be another writer's: an abort may leave them
      // (Azure's blocks) to the sweep, which removes them once idle.
      await sleep(2500);
      await other.sweepLeftovers(1000, ctx.live);
      await expectNoLeftovers(ctx);
    } finally {
      await other.close();
    }
  });

  it('a sweep removes what an upload abandoned after its checkpoint, the checkpoint included', async () => {
    const ctx = context();
    const { blob, key, first, other } = await begin(ctx, 'abandoned');
    try {
      await first.suspend();
      expect(await ctx.target.leftovers(ctx.live)).not.toEqual([]);
      // Swift reports times to the second: 2.5 s old is surely older than 1 s.
      await sleep(2500);
      await other.sweepLeftovers(1000, ctx.live);
      expect(await other.stagedBytes(blob, key, ctx.live)).toBeUndefined();
      await expectNoLeftovers(ctx);
    } finally {
      await other.close();
    }
  });
}

async function anotherProcess(ctx: SuiteContext): Promise<BlobStore> {
  const make = ctx.target.anotherProcess;
  if (make === undefined) throw new Error('the target names checkpointEvery but has no anotherProcess');
  const store = createBlobStore(await make());
  if (!store.resumableUploads) throw new Error('the other process cannot continue uploads');
  return store;
}

/** Writes bytes [from, to) of the seeded blob, in 1 MiB chunks. */
async function writeRange(upload: BlobUpload, seed: string, from: number, to: number, signal: AbortSignal) {
  let at = 0;
  for (const chunk of pseudoRandomChunks(seed, to)) {
    const end = at + chunk.byteLength;
    if (end > from) await upload.write(chunk.subarray(Math.max(0, from - at)), signal);
    at = end;
  }
}

async function expectStored(ctx: SuiteContext, blob: BlobRef): Promise<void> {
  const download = await ctx.store.download(blob.hex, { offset: 0 }, ctx.live);
  expect(await describeBody(download.body)).toEqual(blob);
}

/** Polls until `read` gives `wanted` (for saves that run in the background), at most 20 s. */
async function eventually<T>(read: () => Promise<T>, wanted: T): Promise<T> {
  let last = await read();
  for (let tries = 0; last !== wanted && tries < 200; tries += 1) {
    await sleep(100);
    last = await read();
  }
  return last;
}
