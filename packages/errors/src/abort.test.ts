import { describe, expect, it } from 'vitest';
import {
  type AbortWording,
  abortable,
  abortError,
  awaitUnlessAborted,
  isAbortOf,
  throwIfAborted,
} from './abort.js';
import { CairnError } from './cairn-error.js';
import { Code } from './code.js';

const wording: AbortWording = {
  canceled: 'the test call was canceled',
  timedOut: 'the test call ran out of time; retry',
};

function timedOutSignal(): AbortSignal {
  const controller = new AbortController();
  controller.abort(new DOMException('The operation timed out', 'TimeoutError'));
  return controller.signal;
}

describe('abortError', () => {
  it("words a cancel and a timeout in the caller's terms, keeping the reason as cause", () => {
    const canceled = abortError(AbortSignal.abort(), wording);
    expect(canceled).toMatchObject({ code: Code.Canceled, message: 'the test call was canceled' });
    expect((canceled.cause as Error).name).toBe('AbortError');
    const timedOut = abortError(timedOutSignal(), wording);
    expect(timedOut).toMatchObject({
      code: Code.DeadlineExceeded,
      message: 'the test call ran out of time; retry',
    });
  });

  it('passes a CairnError reason through unchanged', () => {
    const reason = new CairnError(Code.Unavailable, 'the server went away');
    expect(abortError(AbortSignal.abort(reason), wording)).toBe(reason);
  });

  it('throwIfAborted throws only once the signal fired', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal, wording)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal, wording)).toThrow('the test call was canceled');
  });

  it('isAbortOf tells an error caused by the signal from any other', () => {
    const controller = new AbortController();
    const unrelated = new Error('disk full');
    expect(isAbortOf(new DOMException('stop', 'AbortError'), controller.signal)).toBe(false);
    controller.abort();
    expect(isAbortOf(controller.signal.reason, controller.signal)).toBe(true);
    expect(isAbortOf(new DOMException('stop', 'AbortError'), controller.signal)).toBe(true);
    expect(isAbortOf(unrelated, controller.signal)).toBe(false);
  });
});

describe('awaitUnlessAborted', () => {
  it('settles as the work does while the signal stays quiet, and stops listening to it after', async () => {
    const controller = new AbortController();
    await expect(awaitUnlessAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(awaitUnlessAborted(Promise.reject(new Error('failed')), controller.signal)).rejects.toThrow(
      'failed',
    );
    await expect(awaitUnlessAborted(Promise.resolve('no signal'), undefined)).resolves.toBe('no signal');
  });

  it("stops waiting when the signal fires, with the signal's reason or the one asked for, and leaves the work running", async () => {
    let finish: (value: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const controller = new AbortController();
    const waiting = awaitUnlessAborted(work, controller.signal);
    const reason = new Error('caller left');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(awaitUnlessAborted(work, controller.signal, () => 'mapped')).rejects.toBe('mapped');
    finish('done anyway');
    await expect(work).resolves.toBe('done anyway');
  });
});

describe('abortable', () => {
  it('yields what the source yields', async () => {
    const seen: number[] = [];
    const source = (async function* () {
      yield* [1, 2, 3];
    })();
    for await (const value of abortable(source, new AbortController().signal, wording)) {
      seen.push(value);
    }
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives up on a stalled source when the signal fires, asking it to stop without waiting for it', async () => {
    const controller = new AbortController();
    let returned = false;
    const stalled: AsyncIterator<number> & AsyncIterable<number> = {
      [Symbol.asyncIterator]() {
        return this;
      },
      next: () => new Promise<IteratorResult<number>>(() => undefined),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
    };
    const reading = (async () => {
      for await (const _ of abortable(stalled, controller.signal, wording)) {
        // never reached
      }
    })();
    controller.abort();
    await expect(reading).rejects.toMatchObject({
      code: Code.Canceled,
      message: 'the test call was canceled',
    });
    expect(returned).toBe(true);
  });
});
