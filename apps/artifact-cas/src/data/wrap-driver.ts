import {
  type Driver,
  isSuspendable,
  type StagedBlob,
  type StagedHash,
  type SuspendableStagedBlob,
} from '@cairn/backends';

/**
 * What a driver wrapper does around each kind of step. `wrapDriver` is the one place that knows a
 * Driver's shape: what a driver may carry beyond these steps (retries, checkpoints, suspension, resumed
 * uploads and the bytes staged before them) is carried through there, so no wrapper can drop a member
 * another keeps.
 */
export interface DriverWrapper {
  /** A step answered once: a lookup, staging an upload, resuming one, a resumable upload's size. */
  step<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Opening a stream of chunks from the storage server, and every chunk of it. */
  stream(
    open: (signal: AbortSignal) => Promise<AsyncIterable<Uint8Array>>,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array>>;
  /** The steps of one staged upload. */
  staged(staged: StagedBlob): StagedSteps;
  /** The write check, the leftover sweep and closing: work with bounds of its own. */
  own<T>(work: () => Promise<T>): Promise<T>;
}

export interface StagedSteps {
  write: StagedBlob['write'];
  commit: StagedBlob['commit'];
  abort: StagedBlob['abort'];
  /** Runs `suspend`, the staged upload's own, when it has one. */
  suspend(suspend: () => Promise<void>): Promise<void>;
  retryFailed?: () => boolean;
}

export function wrapDriver(driver: Driver, wrapper: DriverWrapper): Driver {
  const { resumable } = driver;
  const sweep = driver.sweepLeftovers?.bind(driver);
  const wrapStaged = (staged: StagedBlob) => stagedWith(staged, wrapper.staged(staged));
  const wrapBefore = (before: StagedHash): StagedHash =>
    'stagedBytes' in before
      ? {
          stagedBytes: (signal) =>
            opened(wrapper.stream(async (linked) => before.stagedBytes(linked), signal)),
        }
      : before;
  return {
    stage: async (blob, meta, signal) =>
      wrapStaged(await wrapper.step((linked) => driver.stage(blob, meta, linked), signal)),
    read: (hex, range, signal) => wrapper.stream((linked) => driver.read(hex, range, linked), signal),
    stat: (hex, signal) => wrapper.step((linked) => driver.stat(hex, linked), signal),
    checkWriteAccess: (signal) => wrapper.own(() => driver.checkWriteAccess(signal)),
    ...(sweep
      ? { sweepLeftovers: (olderThanMs, signal) => wrapper.own(() => sweep(olderThanMs, signal)) }
      : {}),
    ...(resumable
      ? {
          resumable: {
            open: async (blob, meta, key, signal) => {
              const { staged, size, before } = await wrapper.step(
                (linked) => resumable.open(blob, meta, key, linked),
                signal,
              );
              return { size, staged: wrapStaged(staged), ...(before ? { before: wrapBefore(before) } : {}) };
            },
            size: (blob, key, signal) => wrapper.step((linked) => resumable.size(blob, key, linked), signal),
          },
        }
      : {}),
    close: () => wrapper.own(() => driver.close()),
  };
}

function stagedWith(staged: StagedBlob, steps: StagedSteps): StagedBlob {
  const wrapped: StagedBlob = {
    write: steps.write,
    commit: steps.commit,
    abort: steps.abort,
    ...(steps.retryFailed ? { retryFailed: steps.retryFailed } : {}),
    ...(staged.checkpoints ? { checkpoints: staged.checkpoints } : {}),
  };
  if (!isSuspendable(staged)) return wrapped;
  const suspendable: SuspendableStagedBlob = {
    ...wrapped,
    suspend: () => steps.suspend(() => staged.suspend()),
    ...(staged.suspendLoses ? { suspendLoses: true } : {}),
  };
  return suspendable;
}

/** The chunks of a stream still being opened, for a caller that needs them at once. */
async function* opened(stream: Promise<AsyncIterable<Uint8Array>>): AsyncGenerator<Uint8Array> {
  yield* await stream;
}
