import { fromGrpcError, type GrpcPeer, UNREACHABLE } from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import pRetry from 'p-retry';
import { isTransient } from './transient.js';

/** How often and how patiently transient failures are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 turns retrying off. */
  readonly maxAttempts: number;
  /**
   * Attempts in all while the server has never answered this client (connection refused, unknown host):
   * most likely a wrong address, which a long budget would only make slower to report. Once it answered,
   * a server that goes away (a restart) gets `maxAttempts`. Default: `maxAttempts`.
   */
  readonly maxAttemptsUnreached?: number;
  /** The first pause lasts between half of this and all of it; each later one may be twice as long. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 };

/** Told before each retry, e.g. so a CLI can say why it is waiting. */
export interface RetryEvent {
  readonly attempt: number;
  /** Why the previous attempt failed. */
  readonly error: CairnError;
  /** For uploads: where the next attempt resumes; for downloads: the bytes already received. */
  readonly offset: number;
}

/** Whether a server has answered a client once (any answer, a refusal included); shared by its calls. */
export interface Reachability {
  reached: boolean;
}

/** One try of a call that `withRetries` repeats. */
export interface Attempt {
  /** 1 for the first try. */
  readonly number: number;
  /** Why the try before this one failed; undefined on the first. */
  readonly previousError: unknown;
}

/**
 * Runs `attempt` until it succeeds, fails in a way another try cannot change (only `isTransient` failures
 * are retried), or `policy.maxAttempts` tries were made. p-retry waits between tries with exponential
 * backoff and jitter, so clients that failed together do not all come back together: before the n-th
 * retry, between half and all of initialDelayMs·2^(n−1), capped at maxDelayMs. A fired signal ends the
 * call at once, during a pause too, with CANCELED; any other failure becomes a CairnError through
 * `fromGrpcError`, naming `peer`. Where a retry resumes (an upload's committed size, a download's bytes received) is the
 * caller's own state, kept in its closure between tries.
 */
export async function withRetries<T>(
  peer: GrpcPeer,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (current: Attempt) => Promise<T>,
  reachability: Reachability = { reached: true },
): Promise<T> {
  let previousError: unknown;
  const unreachedAttempts = policy.maxAttemptsUnreached ?? policy.maxAttempts;
  const tryOnce = async (number: number) => {
    const value = await attempt({ number, previousError });
    reachability.reached = true;
    return value;
  };
  try {
    return await pRetry(tryOnce, {
      retries: Math.max(0, policy.maxAttempts - 1),
      factor: 2,
      // p-retry's jitter multiplies by 1 to 2; halving the base gives our half-to-all of each step.
      minTimeout: policy.initialDelayMs / 2,
      maxTimeout: policy.maxDelayMs,
      randomize: true,
      ...(signal === undefined ? {} : { signal }),
      onFailedAttempt: ({ error }) => {
        previousError = error;
        if (fromGrpcError(error, peer).details.reason !== UNREACHABLE) reachability.reached = true;
      },
      shouldRetry: ({ error, attemptNumber }) =>
        signal?.aborted !== true &&
        isTransient(error) &&
        (reachability.reached || attemptNumber < unreachedAttempts),
    });
  } catch (error) {
    if (signal?.aborted) throw canceled(signal);
    throw fromGrpcError(error, peer);
  }
}

export function canceled(signal: AbortSignal): CairnError {
  return new CairnError(Code.Canceled, 'the operation was canceled', { cause: signal.reason });
}
