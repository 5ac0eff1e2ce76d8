import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openResumableSha256, type ResumableSha256Factory } from '../core/resumable-sha256.js';
import {
  CheckpointLog,
  type CheckpointObjects,
  checkpointKey,
  MAX_CHECKPOINT_BYTES,
  readCheckpoint,
} from './upload-checkpoint.js';

const live = new AbortController().signal;
const blob = { hex: 'ab'.repeat(32), size: 1000 };
const PART = 128;

/** Checkpoint objects in a map; `failWrites` makes writes fail as a server that is away would. */
function memoryObjects() {
  const saved = new Map<string, Uint8Array>();
  const objects: CheckpointObjects & { failWrites: boolean; writes: number } = {
    failWrites: false,
    writes: 0,
    read: async (key) => saved.get(key),
    write: async (key, body) => {
      if (objects.failWrites) throw new Error('away');
      objects.writes += 1;
      saved.set(key, body);
    },
    remove: async (key) => {
      saved.delete(key);
    },
  };
  return { saved, objects };
}

async function sha(): Promise<ResumableSha256Factory> {
  const opened = await openResumableSha256();
  if ('unavailable' in opened) throw new Error(opened.unavailable);
  return opened;
}

/** The hash state after `bytes` bytes of 0x07. */
async function stateAfter(bytes: number): Promise<Uint8Array> {
  const hash = (await sha()).create();
  hash.update(new Uint8Array(bytes).fill(7));
  return hash.exportState();
}

describe('CheckpointLog', () => {
  it('saves the furthest point up to which every part is stored and its hash state is known, whatever the order', async () => {
    const { objects } = memoryObjects();
    const log = new CheckpointLog(objects, 'k', { blob, partSize: PART, session: 'upload-1' });
    log.partStored(1, 'etag-2'); // out of order: nothing below it is stored yet
    log.hashStateAt(PART, await stateAfter(PART));
    log.hashStateAt(2 * PART, await stateAfter(2 * PART));
    await log.flush();
    expect(log.savedOffset).toBe(0);
    log.partStored(0, 'etag-1');
    await log.flush();
    expect(log.savedOffset).toBe(2 * PART);
    const found = await readCheckpoint(objects, 'k', blob, PART, await sha(), live);
    expect(found?.checkpoint).toMatchObject({
      offset: 2 * PART,
      session: 'upload-1',
      parts: ['etag-1', 'etag-2'],
    });
    expect(found?.hash.bytesHashed).toBe(2 * PART);
  });

  it('keeps the older checkpoint when a save fails, and saves again with the next part', async () => {
    const { objects } = memoryObjects();
    const log = new CheckpointLog(objects, 'k', { blob, partSize: PART, session: '' });
    log.partStored(0, 'a');
    log.hashStateAt(PART, await stateAfter(PART));
    await log.flush();
    objects.failWrites = true;
    log.partStored(1, 'b');
    log.hashStateAt(2 * PART, await stateAfter(2 * PART));
    await log.flush();
    expect(log.savedOffset).toBe(PART);
    expect((await readCheckpoint(objects, 'k', blob, PART, await sha(), live))?.checkpoint.offset).toBe(PART);
    objects.failWrites = false;
    log.partStored(2, 'c');
    log.hashStateAt(3 * PART, await stateAfter(3 * PART));
    await log.flush();
    expect(log.savedOffset).toBe(3 * PART);
  });

  it('saves at most once per interval, the rest when the interval is over or on a flush', async () => {
    const { objects } = memoryObjects();
    const log = new CheckpointLog(objects, 'k', { blob, partSize: PART, session: '' }, undefined, 2000);
    log.partStored(0, 'a');
    log.hashStateAt(PART, await stateAfter(PART));
    const firstAt = performance.now();
    await sleep(50);
    expect([objects.writes, log.savedOffset]).toEqual([1, PART]);
    log.partStored(1, 'b');
    log.hashStateAt(2 * PART, await stateAfter(2 * PART));
    log.partStored(2, 'c');
    log.hashStateAt(3 * PART, await stateAfter(3 * PART));
    await sleep(50);
    expect(objects.writes).toBe(1);
    while (objects.writes < 2 && performance.now() - firstAt < 10_000) await sleep(50);
    expect(performance.now() - firstAt).toBeGreaterThanOrEqual(1900);
    expect([objects.writes, log.savedOffset]).toEqual([2, 3 * PART]);
    log.partStored(3, 'd');
    log.hashStateAt(4 * PART, await stateAfter(4 * PART));
    await log.flush();
    expect([objects.writes, log.savedOffset]).toEqual([3, 4 * PART]);
  });

  it('saves nothing once removed, and removes what it saved', async () => {
    const { objects, saved } = memoryObjects();
    const log = new CheckpointLog(objects, 'k', { blob, partSize: PART, session: '' });
    log.partStored(0, 'a');
    log.hashStateAt(PART, await stateAfter(PART));
    await log.flush();
    await log.remove();
    log.partStored(1, 'b');
    log.hashStateAt(2 * PART, await stateAfter(2 * PART));
    await log.flush();
    expect(saved.size).toBe(0);
    expect(objects.writes).toBe(1);
  });

  it('lets a save under way finish before it deletes, so no cancelled PUT lands after the DELETE', async () => {
    const { objects, saved } = memoryObjects();
    const steps: string[] = [];
    let started: () => void = () => {};
    const writing = new Promise<void>((resolve) => {
      started = resolve;
    });
    const slow: CheckpointObjects = {
      ...objects,
      write: async (key, body, signal) => {
        started();
        await sleep(50);
        steps.push(signal.aborted ? 'write cancelled' : 'write done');
        await objects.write(key, body, signal);
      },
      remove: async (key, signal) => {
        steps.push('delete');
        await objects.remove(key, signal);
      },
    };
    const log = new CheckpointLog(slow, 'k', { blob, partSize: PART, session: '' });
    log.partStored(0, 'a');
    log.hashStateAt(PART, await stateAfter(PART));
    await writing;
    await log.remove();
    expect(steps).toEqual(['write done', 'delete']);
    expect(saved.size).toBe(0);
  });

  it('continues from a checkpoint with its parts, and never saves the last part (stored only at the commit)', async () => {
    const { objects } = memoryObjects();
    const first = new CheckpointLog(objects, 'k', { blob, partSize: PART, session: 's' });
    first.partStored(0, 'a');
    first.hashStateAt(PART, await stateAfter(PART));
    await first.flush();
    const found = await readCheckpoint(objects, 'k', blob, PART, await sha(), live);
    const second = new CheckpointLog(objects, 'k', { blob, partSize: PART, session: 's' }, found?.checkpoint);
    expect(second.part(0)).toBe('a');
    second.partStored(1, 'b');
    second.hashStateAt(2 * PART, await stateAfter(2 * PART));
    second.hashStateAt(blob.size, await stateAfter(blob.size));
    await second.flush();
    expect((await readCheckpoint(objects, 'k', blob, PART, await sha(), live))?.checkpoint.parts).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('readCheckpoint', () => {
  async function savedAt(offset: number, change: Record<string, unknown> = {}) {
    const { objects } = memoryObjects();
    const body = {
      version: 1,
      hex: blob.hex,
      size: blob.size,
      partSize: PART,
      offset,
      session: 's',
      parts: Array.from({ length: offset / PART }, (_, index) => `p${index}`),
      hashState: Buffer.from(await stateAfter(offset)).toString('base64'),
      ...change,
    };
    await objects.write('k', Buffer.from(JSON.stringify(body)), live);
    return objects;
  }

  it('reads a checkpoint that fits the blob and the part size', async () => {
    const found = await readCheckpoint(await savedAt(2 * PART), 'k', blob, PART, await sha(), live);
    expect(found?.checkpoint.offset).toBe(2 * PART);
  });

  it.each([
    ['another blob', { hex: 'cd'.repeat(32) }, blob.size, PART],
    ['another size', {}, blob.size + 1, PART],
    ['another part size', {}, blob.size, PART * 2],
    ['parts that do not add up to the offset', { parts: ['p0'] }, blob.size, PART],
    ['a hash state of other bytes', { hashState: 'AAAA' }, blob.size, PART],
    ['an unknown version', { version: 2 }, blob.size, PART],
    ['an unknown field', { extra: true }, blob.size, PART],
  ])('ignores a checkpoint of %s (the upload starts again)', async (_what, change, size, partSize) => {
    const objects = await savedAt(2 * PART, change);
    expect(
      await readCheckpoint(objects, 'k', { ...blob, size }, partSize, await sha(), live),
    ).toBeUndefined();
  });

  it('ignores a state that hashed other bytes than the offset says', async () => {
    const objects = await savedAt(2 * PART, {
      hashState: Buffer.from(await stateAfter(PART)).toString('base64'),
    });
    expect(await readCheckpoint(objects, 'k', blob, PART, await sha(), live)).toBeUndefined();
  });

  it('ignores an object larger than any checkpoint, even one that would parse', async () => {
    const objects = await savedAt(2 * PART);
    const saved = (await objects.read('k', live)) as Uint8Array;
    const padded = Buffer.concat([saved, Buffer.alloc(MAX_CHECKPOINT_BYTES + 1 - saved.byteLength, ' ')]);
    expect(JSON.parse(padded.toString()).offset).toBe(2 * PART);
    await objects.write('k', padded, live);
    expect(await readCheckpoint(objects, 'k', blob, PART, await sha(), live)).toBeUndefined();
  });

  it('ignores what is not JSON, and finds nothing where nothing is saved', async () => {
    const { objects } = memoryObjects();
    expect(await readCheckpoint(objects, 'k', blob, PART, await sha(), live)).toBeUndefined();
    await objects.write('k', Buffer.from('{not json'), live);
    expect(await readCheckpoint(objects, 'k', blob, PART, await sha(), live)).toBeUndefined();
  });

  it('keys checkpoints by a hash of the upload, under the location prefix', () => {
    const key = checkpointKey({ container: 'bucket', prefix: 'evidence/' }, '["org","upload"]');
    expect(key).toMatch(/^evidence\/\.cairn-uploads\/[0-9a-f]{64}$/);
  });
});
