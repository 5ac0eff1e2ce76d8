import type { AbortWording } from '@cairn/errors';

/** How the verifying layer and the filesystem driver say that the caller's signal ended an operation. */
export const OPERATION_ABORT_WORDING: AbortWording = {
  canceled: 'the operation was canceled',
  timedOut: 'the operation ran out of time; retry with a longer deadline',
};

/** How the S3 and Azure drivers say it of a request to their storage server. */
export const STORAGE_ABORT_WORDING: AbortWording = {
  canceled: 'the storage operation was canceled',
  timedOut: 'the storage operation ran out of time; retry',
};

/**
 * How long a cleanup (abort of a staged upload, removal of a probe) may take. It runs without the caller's
 * signal, which has usually fired already, so it needs a bound of its own.
 */
export const CLEANUP_TIMEOUT_MS = 30_000;

/**
 * Waits for `work` at most `ms` (the cleanup bound by default); resolves whether it settled by then. The
 * work itself goes on: this only stops waiting. A plain timer, not `AbortSignal.timeout`, so tests with
 * fake timers control it.
 */
export async function settledWithin(work: Promise<unknown>, ms = CLEANUP_TIMEOUT_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
