import { CairnError, Code, codeName } from '@cairn/errors';
import type { LogFields, Logger } from '@cairn/observability';
import type { CallMetrics } from './metrics.js';

/** A typed slot in a call's context values, as connect-es has them: an interceptor sets, a handler reads. */
export interface ContextKey<T> {
  readonly id: symbol;
  readonly defaultValue: T;
}

export function createContextKey<T>(defaultValue: T, description: string): ContextKey<T> {
  return { id: Symbol(description), defaultValue };
}

export class ContextValues {
  readonly #values = new Map<symbol, unknown>();

  get<T>(key: ContextKey<T>): T {
    return this.#values.has(key.id) ? (this.#values.get(key.id) as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    this.#values.set(key.id, value);
    return this;
  }
}

export type Transport = 'grpc' | 'http';

/** One call, whichever transport carried it: what every interceptor and handler sees of it. */
export interface Call {
  readonly transport: Transport;
  /** `ByteStream.Write`, `CASBackendService.List`, `PUT /v1/blobs`: the label of logs and metrics. */
  readonly method: string;
  /** Aborts when the client goes away or the shutdown grace ends. */
  readonly signal: AbortSignal;
  /** First value of a request header (gRPC metadata or HTTP header), by lower-case name. */
  header(name: string): string | undefined;
  /** Adds safe fields to the call's log line (a digest, a principal, a status). */
  note(fields: LogFields): void;
  readonly notes: LogFields;
  readonly values: ContextValues;
}

/** A per-call concern wrapped around the handler: it may act before, after, or instead of `next`. */
export type CallInterceptor = <T>(call: Call, next: () => Promise<T>) => Promise<T>;

/** Runs `handler` inside `interceptors`, the first outermost. */
export function runIntercepted<T>(
  interceptors: readonly CallInterceptor[],
  call: Call,
  handler: () => Promise<T>,
): Promise<T> {
  const at = (index: number): Promise<T> => {
    const interceptor = interceptors[index];
    return interceptor === undefined ? handler() : interceptor(call, () => at(index + 1));
  };
  return at(0);
}

/** A Call for a transport adapter to hand to `runIntercepted`. */
export function createCall(init: {
  transport: Transport;
  method: string;
  signal: AbortSignal;
  header: (name: string) => string | undefined;
}): Call {
  const notes: Record<string, unknown> = {};
  return {
    ...init,
    note: (fields) => Object.assign(notes, fields),
    notes,
    values: new ContextValues(),
  };
}

/**
 * Every failure leaves as a CairnError: a known one as it is, a call that was cancelled as the reason it
 * was cancelled with, anything else as INTERNAL with the original kept as `cause` (logged, never sent).
 */
export const errorMapping: CallInterceptor = async (call, next) => {
  try {
    return await next();
  } catch (error) {
    if (error instanceof CairnError) throw error;
    if (call.signal.aborted) throw CairnError.from(call.signal.reason);
    throw CairnError.from(error);
  }
};

/**
 * One log line per call — transport, method, status code, duration, and what the call noted; never a
 * token or a body. OK and CANCELED are `info`, failures the caller can fix `warn`, failures on our side
 * (`INTERNAL`, `UNKNOWN`, `DATA_LOSS`, `UNAVAILABLE`) `error` with the cause.
 */
export function callLogging(logger: Logger): CallInterceptor {
  return async (call, next) => {
    const started = process.hrtime.bigint();
    let failure: CairnError | undefined;
    try {
      return await next();
    } catch (error) {
      failure = CairnError.from(error);
      throw error;
    } finally {
      const line = {
        transport: call.transport,
        method: call.method,
        code: failure ? codeName(failure.code) : 'OK',
        duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
        ...call.notes,
        ...(failure ? { error: failure.message, reason: failure.details.reason } : {}),
        ...(failure && isOurFault(failure) && failure.cause !== undefined ? { cause: failure.cause } : {}),
      };
      if (!failure || failure.code === Code.Canceled) logger.info('call', line);
      else if (isOurFault(failure)) logger.error('call', line);
      else logger.warn('call', line);
    }
  };
}

/** Calls counted by method and code, timed, and the running ones gauged. */
export function callMetrics(metrics: CallMetrics): CallInterceptor {
  return async (call, next) => {
    const { transport, method } = call;
    const started = process.hrtime.bigint();
    metrics.inFlight.inc({ transport });
    let code = 'OK';
    try {
      return await next();
    } catch (error) {
      code = codeName(CairnError.from(error).code);
      metrics.errors.inc({ transport, code });
      throw error;
    } finally {
      metrics.inFlight.dec({ transport });
      metrics.calls.inc({ transport, method, code });
      metrics.durations.observe({ transport, method }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

function isOurFault(error: CairnError): boolean {
  return [Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable].includes(error.code);
}
