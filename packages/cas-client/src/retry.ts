import { setTimeout as sleep } from 'node:timers/promises';
import type { CairnError } from '@cairn/errors';

/** How often and how patiently transient failures are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. 1 turns retrying off. */
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 };

/** Exponential backoff with jitter, so clients that failed together do not all come back together. */
export function backoffDelay(
  policy: RetryPolicy,
  failedAttempts: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export async function waitBeforeRetry(
  policy: RetryPolicy,
  failedAttempts: number,
  signal?: AbortSignal,
): Promise<void> {
  await sleep(backoffDelay(policy, failedAttempts), undefined, signal === undefined ? {} : { signal });
}

/** Told before each retry, e.g. so a CLI can say why it is waiting. */
export interface RetryEvent {
  readonly attempt: number;
  /** Why the previous attempt failed. */
  readonly error: CairnError;
  /** For uploads: where the next attempt resumes; for downloads: the bytes already received. */
  readonly offset: number;
}
