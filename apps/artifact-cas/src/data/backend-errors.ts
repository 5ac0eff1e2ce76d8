import type { Driver, StagedBlob } from '@cairn/backends';
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
  const guardStaged = (staged: StagedBlob): StagedBlob => ({
    write: (chunk, signal) => guard(() => staged.write(chunk, signal)),
    commit: (signal) => guard(() => staged.commit(signal)),
    abort: () => guard(() => staged.abort()),
  });
  async function* guardChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks;
    } catch (error) {
      throw asBackendError(error, backendId);
    }
  }
  return {
    stage: async (blob, meta, signal) => guardStaged(await guard(() => driver.stage(blob, meta, signal))),
    read: async (hex, range, signal) => guardChunks(await guard(() => driver.read(hex, range, signal))),
    stat: (hex, signal) => guard(() => driver.stat(hex, signal)),
    checkWriteAccess: (signal) => guard(() => driver.checkWriteAccess(signal)),
    close: () => guard(() => driver.close()),
  };
}

export function asBackendError(error: unknown, backendId: string): unknown {
  if (!(error instanceof CairnError)) return error;
  if (error.code !== Code.Unauthenticated && error.code !== Code.PermissionDenied) return error;
  return new CairnError(
    Code.FailedPrecondition,
    `backend ${backendId} refused the CAS: ${error.message}; an operator must update the backend's credentials or permissions`,
    { cause: error, details: { ...error.details, reason: error.details.reason ?? 'backend_refused' } },
  );
}
