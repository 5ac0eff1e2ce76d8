import { fromGrpcError } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { Connection } from './connection.js';
import { type RetryPolicy, waitBeforeRetry } from './retry.js';
import { isTransient } from './transient.js';

/** Runs a call that is safe to repeat, retrying transient failures with backoff. */
export async function callWithRetry<T>(
  connection: Connection,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      throwUnlessRetryable(error, attempt, connection, policy, signal);
      await waitBeforeRetry(policy, attempt, signal);
    }
  }
}

/** Throws the CairnError for `error` unless another attempt is allowed and may help. */
export function throwUnlessRetryable(
  error: unknown,
  attempt: number,
  connection: Connection,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): void {
  if (signal?.aborted) throw canceled(signal);
  if (!isTransient(error) || attempt >= policy.maxAttempts) {
    throw fromGrpcError(error, connection.peer);
  }
}

export function canceled(signal: AbortSignal): CairnError {
  return new CairnError(Code.Canceled, 'the operation was canceled', { cause: signal.reason });
}
