import { Code } from '@cairn/errors';
import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { type Attempt, withRetries } from './retry.js';

const peer = { service: 'the CAS', address: '127.0.0.1:9001' };
const quick = { maxAttempts: 3, initialDelayMs: 2, maxDelayMs: 4 };

/** A gRPC failure as grpc-js reports it. */
function grpcFailure(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('withRetries', () => {
  it('retries transient failures, telling each attempt its number and why the one before failed', async () => {
    const seen: Attempt[] = [];
    const dropped = grpcFailure(status.UNAVAILABLE, 'connection dropped');
    const result = await withRetries(peer, quick, undefined, async (attempt) => {
      seen.push(attempt);
      if (attempt.number < 3) throw dropped;
      return 'stored';
    });
    expect(result).toBe('stored');
    expect(seen).toEqual([
      { number: 1, previousError: undefined },
      { number: 2, previousError: dropped },
      { number: 3, previousError: dropped },
    ]);
  });

  it('gives up after maxAttempts with the error the last attempt had, as a CairnError', async () => {
    let attempts = 0;
    const outcome = withRetries(peer, quick, undefined, async () => {
      attempts += 1;
      throw grpcFailure(status.UNAVAILABLE, 'the CAS is restarting');
    });
    await expect(outcome).rejects.toMatchObject({ code: Code.Unavailable, message: 'the CAS is restarting' });
    expect(attempts).toBe(3);
  });

  it('never repeats what the server decided', async () => {
    let attempts = 0;
    const outcome = withRetries(peer, quick, undefined, async () => {
      attempts += 1;
      throw grpcFailure(status.INVALID_ARGUMENT, 'the digest does not match');
    });
    await expect(outcome).rejects.toMatchObject({
      code: Code.InvalidArgument,
      message: 'the digest does not match',
    });
    expect(attempts).toBe(1);
  });

  it('pauses with backoff between attempts: at least half of each step', async () => {
    const started = performance.now();
    await withRetries(
      peer,
      { maxAttempts: 3, initialDelayMs: 40, maxDelayMs: 1_000 },
      undefined,
      async (attempt) => {
        if (attempt.number < 3) throw grpcFailure(status.UNAVAILABLE, 'busy');
      },
    );
    // Half of 40 ms, then half of 80 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('gives a server that never answered maxAttemptsUnreached tries, and one that answered once all of them', async () => {
    const refused = grpcFailure(
      status.UNAVAILABLE,
      'No connection established. Last error: connect ECONNREFUSED',
    );
    const policy = { ...quick, maxAttempts: 6, maxAttemptsUnreached: 2 };
    let attempts = 0;
    const neverReached = { reached: false };
    const wrongAddress = withRetries(
      peer,
      policy,
      undefined,
      async () => {
        attempts += 1;
        throw refused;
      },
      neverReached,
    );
    await expect(wrongAddress).rejects.toMatchObject({
      code: Code.Unavailable,
      details: { reason: 'unreachable' },
    });
    expect(attempts).toBe(2);

    // The server answered (a refusal of its own), then went away: the whole budget.
    attempts = 0;
    const reachability = { reached: false };
    const restarting = withRetries(
      peer,
      policy,
      undefined,
      async (attempt) => {
        attempts += 1;
        throw attempt.number === 1
          ? grpcFailure(status.UNAVAILABLE, 'the secret store is unavailable')
          : refused;
      },
      reachability,
    );
    await expect(restarting).rejects.toMatchObject({ code: Code.Unavailable });
    expect(attempts).toBe(6);
    expect(reachability.reached).toBe(true);
  });

  it('ends at once with CANCELED when the signal fires during a pause', async () => {
    const controller = new AbortController();
    const patient = { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 };
    const started = performance.now();
    const outcome = withRetries(peer, patient, controller.signal, async () => {
      setTimeout(() => controller.abort(), 10);
      throw grpcFailure(status.UNAVAILABLE, 'gone');
    });
    await expect(outcome).rejects.toMatchObject({
      code: Code.Canceled,
      message: 'the operation was canceled',
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
