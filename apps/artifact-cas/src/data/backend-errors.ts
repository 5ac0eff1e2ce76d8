import {
  type Driver,
  isSuspendable,
  type StagedBlob,
  type StagedHash,
  type SuspendableStagedBlob,
} from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';

/**
 * Keeps a backend's refusal of its own credentials from reading as a refusal of the caller's token. A
 * driver reports rejected credentials as UNAUTHENTICATED or PERMISSION_DENIED; to a CAS client those codes
 * mean "your CAS token", and a client would fetch new tokens forever. They become FAILED_PRECONDITION,
 * naming the backend: an operator must fix its credentials. Every other error passes unchanged.
 */
export function withBackendErrors(driver: Driver, backendId: string): Driver {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw asBackendError(error, backendId);
    }
  };
  const guardStaged = (staged: StagedBlob): StagedBlob => {
    const retryFailed = staged.retryFailed?.bind(staged);
    const guarded: StagedBlob = {
      write: (chunk, signal) => guard(() => staged.write(chunk, signal)),
      commit: (signal) => guard(() => staged.commit(signal)),
      abort: () => guard(() => staged.abort()),
      ...(retryFailed ? { retryFailed } : {}),
      ...(staged.checkpoints ? { checkpoints: staged.checkpoints } : {}),
    };
    if (!isSuspendable(staged)) return guarded;
    const suspendable: SuspendableStagedBlob = {
      ...guarded,
      suspend: () => guard(() => staged.suspend()),
      ...(staged.suspendLoses ? { suspendLoses: true } : {}),
    };
    return suspendable;
  };
  const { resumable } = driver;
  async function* guardChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks;
    } catch (error) {
      throw asBackendError(error, backendId);
    }
  }
  const sweep = driver.sweepLeftovers?.bind(driver);
  return {
    stage: async (blob, meta, signal) => guardStaged(await guard(() => driver.stage(blob, meta, signal))),
    read: async (hex, range, signal) => guardChunks(await guard(() => driver.read(hex, range, signal))),
    stat: (hex, signal) => guard(() => driver.stat(hex, signal)),
    checkWriteAccess: (signal) => guard(() => driver.checkWriteAccess(signal)),
    ...(sweep ? { sweepLeftovers: (olderThanMs, signal) => guard(() => sweep(olderThanMs, signal)) } : {}),
    ...(resumable
      ? {
          resumable: {
            open: async (blob, meta, key, signal) => {
              const resumed = await guard(() => resumable.open(blob, meta, key, signal));
              const { before } = resumed;
              const guardedBefore: StagedHash | undefined =
                before && 'stagedBytes' in before
                  ? { stagedBytes: (readSignal) => guardChunks(before.stagedBytes(readSignal)) }
                  : before;
              return {
                size: resumed.size,
                staged: guardStaged(resumed.staged),
                ...(guardedBefore ? { before: guardedBefore } : {}),
              };
            },
            size: (blob, key, signal) => guard(() => resumable.size(blob, key, signal)),
          },
        }
      : {}),
    close: () => guard(() => driver.close()),
  };
}

function asBackendError(error: unknown, backendId: string): unknown {
  if (!(error instanceof CairnError)) return error;
  if (error.code !== Code.Unauthenticated && error.code !== Code.PermissionDenied) return error;
  return new CairnError(
    Code.FailedPrecondition,
    `backend ${backendId} refused the CAS: ${error.message}; fix its credentials with \`cairn cas-backend update NAME\`, or its permissions in the storage service`,
    {
      cause: error,
      details: { ...error.details, reason: error.details.reason ?? 'backend_refused', backend_id: backendId },
    },
  );
}
