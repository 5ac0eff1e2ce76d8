import type { Driver } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import { wrapDriver } from './wrap-driver.js';

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
  async function* guardChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    try {
      yield* chunks;
    } catch (error) {
      throw asBackendError(error, backendId);
    }
  }
  return wrapDriver(driver, {
    step: (work, signal) => guard(() => work(signal)),
    stream: async (open, signal) => guardChunks(await guard(() => open(signal))),
    staged: (staged) => {
      const retryFailed = staged.retryFailed?.bind(staged);
      return {
        write: (chunk, signal) => guard(() => staged.write(chunk, signal)),
        commit: (signal) => guard(() => staged.commit(signal)),
        abort: () => guard(() => staged.abort()),
        suspend: guard,
        ...(retryFailed ? { retryFailed } : {}),
      };
    },
    own: guard,
  });
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
