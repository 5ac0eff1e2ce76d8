import { createHash } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { PartPipeline } from '../object-store/part-pipeline.js';
import { MemoryDriver } from '../testing/memory-driver.js';
import { BlobUpload } from './blob-upload.js';
import type { StagedBlob } from './provider.js';

const bytes = Buffer.from('attested evidence');
const blob = { hex: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
const live = new AbortController().signal;

async function begin(driver = new MemoryDriver()): Promise<{ driver: MemoryDriver; upload: BlobUpload }> {
  return { driver, upload: new BlobUpload(blob, await driver.stage(blob, {})) };
}

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof CairnError ? error.code : undefined;
  }
  return undefined;
}

describe('BlobUpload', () => {
  it('counts what it received, commits on a match and then refuses more', async () => {
    const { driver, upload } = await begin();
    await upload.write(bytes.subarray(0, 5), live);
    expect(upload.received).toBe(5);
    await upload.write(new Uint8Array(0), live);
    await upload.write(bytes.subarray(5), live);
    expect(upload.state).toBe('open');
    await upload.finish(live);
    expect(upload.state).toBe('committed');
    expect(driver.blobs.get(blob.hex)?.bytes.equals(bytes)).toBe(true);
    expect(await codeOf(upload.write(bytes, live))).toBe(Code.FailedPrecondition);
    expect(await codeOf(upload.finish(live))).toBe(Code.FailedPrecondition);
    await upload.abort();
    expect(upload.state).toBe('committed');
    expect(driver.calls).not.toContain('abort');
  });

  it('refuses a byte more than declared at once, and aborts', async () => {
    const { driver, upload } = await begin();
    await upload.write(bytes, live);
    const error = await upload.write(Buffer.from('!'), live).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).code).toBe(Code.InvalidArgument);
    expect((error as CairnError).details.reason).toBe('size_mismatch');
    expect(upload.state).toBe('aborted');
    expect(driver.pending.size).toBe(0);
  });

  it('refuses too few bytes and wrong bytes at finish, storing nothing', async () => {
    const short = await begin();
    await short.upload.write(bytes.subarray(1), live);
    expect(await codeOf(short.upload.finish(live))).toBe(Code.InvalidArgument);
    expect(short.driver.blobs.size).toBe(0);
    expect(short.driver.pending.size).toBe(0);

    const wrong = await begin();
    await wrong.upload.write(Buffer.from(bytes).fill(0x41), live);
    const error = await wrong.upload.finish(live).catch((caught: unknown) => caught as CairnError);
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.details.reason).toBe('digest_mismatch');
    expect(wrong.upload.state).toBe('aborted');
    expect(wrong.driver.blobs.size).toBe(0);
  });

  it('refuses a second write while one is in flight, keeping bytes in order', async () => {
    const { upload } = await begin();
    const first = upload.write(bytes.subarray(0, 3), live);
    expect(upload.state).toBe('writing');
    expect(await codeOf(upload.write(bytes.subarray(3), live))).toBe(Code.FailedPrecondition);
    await first;
    expect(upload.state).toBe('open');
  });

  it('aborts the staged blob when its signal fired, with CANCELED or the deadline', async () => {
    const canceled = await begin();
    expect(await codeOf(canceled.upload.write(bytes, AbortSignal.abort()))).toBe(Code.Canceled);
    expect(canceled.upload.state).toBe('aborted');
    expect(canceled.driver.pending.size).toBe(0);

    const late = await begin();
    await late.upload.write(bytes, live);
    const timedOut = AbortSignal.timeout(0);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await codeOf(late.upload.finish(timedOut))).toBe(Code.DeadlineExceeded);
    expect(late.driver.blobs.size).toBe(0);
  });

  it('aborts when the commit fails, and abort is idempotent', async () => {
    const { driver, upload } = await begin();
    driver.failNextCommit = true;
    await upload.write(bytes, live);
    expect(await codeOf(upload.finish(live))).toBe(Code.Unavailable);
    expect(upload.state).toBe('aborted');
    await upload.abort();
    expect(driver.calls.filter((call) => call === 'abort')).toHaveLength(1);
  });

  it('lets a commit under way finish when abort arrives meanwhile', async () => {
    const { driver, upload } = await begin();
    await upload.write(bytes, live);
    const finishing = upload.finish(live);
    expect(upload.state).toBe('committing');
    await upload.abort();
    await finishing;
    expect(upload.state).toBe('committed');
    expect(driver.calls).not.toContain('abort');
  });

  describe('on a driver that keeps what the storage server did not store', () => {
    /** Parts of 4 bytes, one at a time, to a server that refuses them while `down`. */
    function partStaging() {
      const server = {
        down: false,
        parts: new Map<number, Buffer>(),
        stored: undefined as Buffer | undefined,
      };
      const away = () => new CairnError(Code.Unavailable, 'cannot reach the storage server');
      const pipeline = new PartPipeline(blob.size, { partSize: 4, maxInFlight: 1 }, async (index, part) => {
        if (server.down) throw away();
        server.parts.set(index, Buffer.from(part));
      });
      const staged: StagedBlob = {
        write: (chunk, signal) => pipeline.write(chunk, signal),
        async commit(signal) {
          const last = await pipeline.finish(signal);
          if (server.down) throw away();
          server.parts.set(last.index, Buffer.from(last.bytes));
          server.stored = Buffer.concat(
            [...server.parts.entries()].sort(([a], [b]) => a - b).map(([, b]) => b),
          );
        },
        abort: () => pipeline.cancel(),
        retryFailed: () => pipeline.retryFailed(),
      };
      return { server, upload: new BlobUpload(blob, staged) };
    }

    it('stays open after UNAVAILABLE, counting only what the driver took, and stores every byte once resumed', async () => {
      const { server, upload } = partStaging();
      await upload.write(bytes.subarray(0, 6), live);
      server.down = true;
      await upload.write(bytes.subarray(6, 9), live).catch(() => undefined);
      // The refused part surfaces at the next write, which takes nothing.
      expect(await codeOf(upload.write(bytes.subarray(9, 12), live))).toBe(Code.Unavailable);
      expect(upload.state).toBe('open');
      expect(upload.received).toBeLessThan(12);
      server.down = false;
      await upload.write(bytes.subarray(upload.received), live);
      await upload.finish(live);
      expect(upload.state).toBe('committed');
      expect(server.stored?.equals(bytes)).toBe(true);
    });

    it('tries a commit the server refused again, without hashing twice', async () => {
      const { server, upload } = partStaging();
      await upload.write(bytes, live);
      server.down = true;
      expect(await codeOf(upload.finish(live))).toBe(Code.Unavailable);
      expect(upload.state).toBe('open');
      server.down = false;
      await upload.finish(live);
      expect(upload.state).toBe('committed');
      expect(server.stored?.equals(bytes)).toBe(true);
    });

    it('still aborts on a failure that is not the server being away', async () => {
      const { upload } = partStaging();
      expect(await codeOf(upload.write(Buffer.alloc(blob.size + 1), live))).toBe(Code.InvalidArgument);
      expect(upload.state).toBe('aborted');
    });
  });
});
