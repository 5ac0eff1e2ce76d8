import type { Driver, StagedBlob } from '@cairn/backends';
import { awaitUnlessAborted, CairnError, Code } from '@cairn/errors';
import { type StagedSteps, wrapDriver } from './wrap-driver.js';

export interface CallDeadline {
  /** Longest one step may wait for the storage server. */
  readonly timeoutMs: number;
  readonly backendId: string;
  readonly provider: string;
}

/**
 * Bounds every step of a transfer with a backend — a lookup, starting an upload, a chunk handed over, the
 * commit, the abort, opening a read and each chunk read — so a storage server that accepts connections
 * and never answers (hung, or a network that drops packets) costs a client UNAVAILABLE after
 * `timeoutMs`, never a call that hangs. Only waiting for the server counts: the time a reader takes
 * between chunks is its own. When a step runs out, the driver's signal fires so its requests are
 * cancelled, and the step fails at once even if the driver does not stop (a blocked file read).
 * The write check and the leftover sweep are left out: they have their own bounds
 * (`backends.writeCheckTimeoutMs`, `sweeper.timeoutMs`).
 */
export function withCallDeadline(driver: Driver, deadline: CallDeadline): Driver {
  return wrapDriver(driver, {
    step: (work, signal) => {
      const expired = new AbortController();
      return withinDeadline(expired, deadline, () => work(AbortSignal.any([signal, expired.signal])));
    },
    stream: async (open, signal) => {
      const expired = new AbortController();
      const linked = AbortSignal.any([signal, expired.signal]);
      const chunks = await withinDeadline(expired, deadline, () => open(linked));
      return timedChunks(chunks, expired, deadline);
    },
    staged: (staged) => boundSteps(staged, deadline),
    own: (work) => work(),
  });
}

/**
 * The steps of a staged upload, bounded. Its drivers get the caller's signal linked to one of the
 * upload's own, fired when a step runs out: the upload is failed then, and its abort follows.
 */
function boundSteps(staged: StagedBlob, deadline: CallDeadline): StagedSteps {
  const expired = new AbortController();
  let linkedTo: AbortSignal | undefined;
  let linked: AbortSignal = expired.signal;
  const signalFor = (signal: AbortSignal) => {
    // One Write stream passes the same signal for every chunk: link once per signal, not per chunk.
    if (signal !== linkedTo) {
      linkedTo = signal;
      linked = AbortSignal.any([signal, expired.signal]);
    }
    return linked;
  };
  const retryFailed = staged.retryFailed?.bind(staged);
  return {
    // A step that ran out of time fired the driver's signal: its requests are cancelled, nothing to retry.
    ...(retryFailed ? { retryFailed: () => !expired.signal.aborted && retryFailed() } : {}),
    write: (chunk, signal) => withinDeadline(expired, deadline, () => staged.write(chunk, signalFor(signal))),
    commit: (signal) => withinDeadline(expired, deadline, () => staged.commit(signalFor(signal))),
    // An abort or a suspension runs on error paths, before the client hears of the error: past the bound
    // the client is answered and the work goes on by itself (its own cleanup bound ends it).
    abort: () => answeredWithin(staged.abort(), deadline),
    suspend: (suspend) => answeredWithin(suspend(), deadline),
  };
}

/** Waits for cleanup work at most one bound; past it the work goes on by itself. */
async function answeredWithin(work: Promise<void>, deadline: CallDeadline): Promise<void> {
  work.catch(() => undefined);
  await withinDeadline(new AbortController(), deadline, () => work).catch((error: unknown) => {
    if (!isUnanswered(error)) throw error;
  });
}

async function* timedChunks(
  chunks: AsyncIterable<Uint8Array>,
  expired: AbortController,
  deadline: CallDeadline,
): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    while (true) {
      const next = await withinDeadline(expired, deadline, () => iterator.next());
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Stopped early (by the reader, an error or the deadline): let the driver release its stream.
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}

const UNANSWERED = 'backend_unanswered';

/** Runs one step; past the bound, fires `expired` and fails with UNAVAILABLE naming the backend. */
async function withinDeadline<T>(
  expired: AbortController,
  deadline: CallDeadline,
  work: () => Promise<T>,
): Promise<T> {
  if (expired.signal.aborted) throw expired.signal.reason;
  const timer = setTimeout(() => expired.abort(unanswered(deadline)), deadline.timeoutMs);
  try {
    return await awaitUnlessAborted(work(), expired.signal);
  } catch (error) {
    // The driver's own failure after our signal fired (a cancelled request) is the deadline's doing.
    throw expired.signal.aborted ? expired.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

function unanswered({ timeoutMs, backendId, provider }: CallDeadline): CairnError {
  return new CairnError(
    Code.Unavailable,
    `the storage server of backend ${backendId} (${provider}) did not answer within ${formatSeconds(timeoutMs)}; check that it is running and reachable from the CAS, then retry`,
    { details: { reason: UNANSWERED, backend_id: backendId } },
  );
}

function isUnanswered(error: unknown): boolean {
  return error instanceof CairnError && error.details.reason === UNANSWERED;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
