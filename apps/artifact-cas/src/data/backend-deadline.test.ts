import { setTimeout as sleep } from 'node:timers/promises';
import type { Driver, StagedBlob } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import { describe, expect, it } from 'vitest';
import { withCallDeadline } from './backend-deadline.js';

const HEX = 'a'.repeat(64);
const deadline = { timeoutMs: 100, backendId: 'b-1', provider: 'aws-s3' };
const never = new AbortController().signal;

/** A driver whose every call waits for the server, which answers after `answerMs` (never when undefined). */
function driverAnswering(answerMs: number | undefined, seen: AbortSignal[] = []): Driver {
  const answer = async <T>(value: T, signal: AbortSignal): Promise<T> => {
    seen.push(signal);
    if (answerMs === undefined) return new Promise<T>(() => undefined);
    await sleep(answerMs);
    return value;
  };
  const staged: StagedBlob = {
    write: (_chunk, signal) => answer(undefined, signal),
    commit: (signal) => answer(undefined, signal),
    abort: () => answer(undefined, never),
  };
  return {
    stage: (_blob, _meta, signal) => answer(staged, signal),
    read: async (_hex, _range, signal) => {
      seen.push(signal);
      return (async function* () {
        yield new Uint8Array(1);
        await answer(undefined, signal);
        yield new Uint8Array(1);
      })();
    },
    stat: (hex, signal) => answer({ hex, size: 1 }, signal),
    checkWriteAccess: (signal) => answer(undefined, signal),
    close: async () => undefined,
  };
}

async function failureOf(work: Promise<unknown>): Promise<CairnError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('withCallDeadline', () => {
  it('fails a step the server never answers with UNAVAILABLE naming the backend, and fires the driver signal', async () => {
    const seen: AbortSignal[] = [];
    const driver = withCallDeadline(driverAnswering(undefined, seen), deadline);
    const started = Date.now();
    const error = await failureOf(driver.stat(HEX, never));
    // The deadline is 0.1 s; the bound only tells a deadline that fired from a hang, on a loaded machine too.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: Code.Unavailable, details: { reason: 'backend_unanswered' } });
    expect(error.message).toBe(
      'the storage server of backend b-1 (aws-s3) did not answer within 0.1 s; check that it is running and reachable from the CAS, then retry',
    );
    expect(seen[0]?.aborted).toBe(true);
  });

  it('bounds each chunk of a read, not the time the reader takes between chunks', async () => {
    const slowReader = withCallDeadline(driverAnswering(20), deadline);
    let chunks = 0;
    for await (const _ of await slowReader.read(HEX, { offset: 0 }, never)) {
      chunks++;
      await sleep(150);
    }
    expect(chunks).toBe(2);
    const hung = withCallDeadline(driverAnswering(undefined), deadline);
    const read = (async () => {
      for await (const _ of await hung.read(HEX, { offset: 0 }, never)) {
        // the second chunk never comes
      }
    })();
    expect((await failureOf(read)).code).toBe(Code.Unavailable);
  });

  it('bounds writes and commits of a staged blob, and answers an abort within the bound while it goes on', async () => {
    const hungServer = driverAnswering(undefined);
    let abortSettled = false;
    const stuck: StagedBlob = {
      write: (_chunk, signal) => hungServer.stat(HEX, signal).then(() => undefined),
      commit: (signal) => hungServer.stat(HEX, signal).then(() => undefined),
      // Far longer than the bound, so a stalled machine cannot make the abort look answered in time.
      abort: () =>
        sleep(10_000, undefined, { ref: false }).then(() => {
          abortSettled = true;
        }),
    };
    const driver = withCallDeadline({ ...hungServer, stage: async () => stuck }, deadline);
    const staged = await driver.stage({ hex: HEX, size: 2 }, {}, never);
    expect((await failureOf(staged.write(new Uint8Array(1), never))).code).toBe(Code.Unavailable);
    // The blob is failed: its next step is refused at once.
    expect((await failureOf(staged.commit(never))).code).toBe(Code.Unavailable);
    const started = Date.now();
    await staged.abort();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(abortSettled).toBe(false);
    const healthy = await withCallDeadline(driverAnswering(10), deadline).stage(
      { hex: HEX, size: 2 },
      {},
      never,
    );
    await healthy.write(new Uint8Array(1), never);
    await healthy.commit(never);
  });

  it('leaves the caller’s own cancel as it was', async () => {
    const controller = new AbortController();
    const driver = withCallDeadline(
      {
        ...driverAnswering(undefined),
        stat: (_hex, signal) =>
          new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new CairnError(Code.Canceled, 'stopped'))),
          ),
      },
      deadline,
    );
    const stat = driver.stat(HEX, controller.signal);
    controller.abort();
    expect((await failureOf(stat)).code).toBe(Code.Canceled);
  });
});
