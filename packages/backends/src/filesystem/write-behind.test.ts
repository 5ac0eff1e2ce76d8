import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WRITE_BUFFER_BYTES, WRITE_BUFFERS, WriteBehind } from './write-behind.js';

let dir: string;
const handles: FileHandle[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cairn-write-behind-'));
});

afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.close().catch(() => undefined)));
  await rm(dir, { recursive: true, force: true });
});

async function openFile(name: string, flags: string): Promise<FileHandle> {
  const handle = await open(join(dir, name), flags);
  handles.push(handle);
  return handle;
}

/** Settles within a few event-loop turns, or reports that it is still pending. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  return settled;
}

describe('WriteBehind', () => {
  it('writes small and large chunks in order, copying small ones into 1 MiB writes', async () => {
    const handle = await openFile('blob', 'w');
    const writes = new WriteBehind(handle, 5 * WRITE_BUFFER_BYTES);
    const chunks = [
      randomBytes(64 * 1024),
      randomBytes(WRITE_BUFFER_BYTES - 64 * 1024),
      randomBytes(2 * WRITE_BUFFER_BYTES),
      randomBytes(17),
      randomBytes(WRITE_BUFFER_BYTES + 5),
      randomBytes(3),
    ];
    const expected = Buffer.concat(chunks);
    for (const chunk of chunks) {
      const copy = Buffer.from(chunk);
      await writes.append(chunk);
      // A copied (small) chunk may be reused by its owner at once; the file must not see the change.
      if (chunk.byteLength < WRITE_BUFFER_BYTES) chunk.fill(0);
      else expect(chunk.equals(copy)).toBe(true);
    }
    await writes.flush();
    expect((await readFile(join(dir, 'blob'))).equals(expected)).toBe(true);
  });

  it('sizes its buffers to a small blob', async () => {
    const handle = await openFile('small', 'w');
    const writes = new WriteBehind(handle, 10);
    await writes.append(Buffer.from('0123'));
    await writes.append(Buffer.from('456789'));
    await writes.flush();
    expect(await readFile(join(dir, 'small'), 'utf8')).toBe('0123456789');
  });

  it(`holds the caller back once ${WRITE_BUFFERS} writes are waiting for the kernel (a real FIFO)`, async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Opened read-write so the open does not wait for a reader; the pipe holds 64 KiB, then writes block.
    const writer = await openFile('fifo', 'r+');
    const reader = await openFile('fifo', 'r');
    const writes = new WriteBehind(writer, 64 * WRITE_BUFFER_BYTES);
    const chunk = () => Buffer.alloc(WRITE_BUFFER_BYTES, 7);
    // Outcomes are asserted after the FIFO was drained, so a failure cannot leave a write blocked forever.
    const taken: boolean[] = [];
    for (let index = 0; index < WRITE_BUFFERS; index++) taken.push(await settlesSoon(writes.append(chunk())));
    const held = writes.append(chunk());
    const heldBack = !(await settlesSoon(held));

    const buffer = Buffer.alloc(WRITE_BUFFER_BYTES);
    let drained = 0;
    while (drained < (WRITE_BUFFERS + 1) * WRITE_BUFFER_BYTES) {
      drained += (await reader.read(buffer, 0, buffer.byteLength)).bytesRead;
    }
    await held;
    await writes.flush();
    expect(taken).toEqual(Array(WRITE_BUFFERS).fill(true));
    expect(heldBack).toBe(true);
  });

  it('reports a failed write on the next call and writes nothing after it', async () => {
    // A read-only handle: the kernel refuses every write with EBADF.
    const handle = await openFile('read-only', 'w+');
    await handle.close();
    const readOnly = await openFile('read-only', 'r');
    const writes = new WriteBehind(readOnly, 4 * WRITE_BUFFER_BYTES);
    await writes.append(Buffer.alloc(WRITE_BUFFER_BYTES, 1));
    await expect(writes.flush()).rejects.toMatchObject({ code: 'EBADF' });
    await expect(writes.append(Buffer.alloc(10))).rejects.toMatchObject({ code: 'EBADF' });
    await expect(writes.flush()).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('discard waits for a write in flight and drops what is queued or buffered', async () => {
    const handle = await openFile('discarded', 'w');
    const writes = new WriteBehind(handle, 4 * WRITE_BUFFER_BYTES);
    await writes.append(Buffer.alloc(WRITE_BUFFER_BYTES, 1));
    await writes.append(Buffer.alloc(100, 2));
    await writes.discard();
    // The whole chunk landed if its write had started, or not at all; the 100 buffered bytes never do.
    expect([0, WRITE_BUFFER_BYTES]).toContain((await readFile(join(dir, 'discarded'))).byteLength);
    await expect(writes.append(Buffer.alloc(1))).rejects.toThrow(/discarded/);
  });
});
