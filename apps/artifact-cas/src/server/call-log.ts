import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code, codeName } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { CasMetrics, Transport } from './metrics.js';

/**
 * Everything observed about one call, ended exactly once: one JSON log line (method, code, bytes,
 * duration, principal and org — never the token) plus the call metrics.
 */
export class CallRecord {
  readonly #started = process.hrtime.bigint();
  #bytesIn = 0;
  #bytesOut = 0;
  #claims: CasClaims | undefined;
  #ended = false;
  readonly #fields: Record<string, unknown> = {};

  constructor(
    private readonly transport: Transport,
    private readonly method: string,
    private readonly metrics: CasMetrics,
    private readonly logger: Logger,
  ) {
    metrics.inFlight.inc({ transport });
  }

  received(bytes: number): void {
    this.#bytesIn += bytes;
    this.metrics.bytesReceived.inc({ transport: this.transport }, bytes);
  }

  sent(bytes: number): void {
    this.#bytesOut += bytes;
    this.metrics.bytesSent.inc({ transport: this.transport }, bytes);
  }

  principal(claims: CasClaims): void {
    this.#claims = claims;
  }

  /** Extra safe fields for the log line (a digest, a resource name, an HTTP status). */
  note(fields: Record<string, unknown>): void {
    Object.assign(this.#fields, fields);
  }

  /** Ends the record with `error` (or success); returns the CairnError the transport should send. */
  end(error?: unknown): CairnError | undefined {
    const failure = error === undefined ? undefined : CairnError.from(error);
    if (this.#ended) return failure;
    this.#ended = true;
    const code = failure ? codeName(failure.code) : 'OK';
    const seconds = Number(process.hrtime.bigint() - this.#started) / 1e9;
    const { transport, method } = this;
    this.metrics.inFlight.dec({ transport });
    this.metrics.calls.inc({ transport, method, code });
    this.metrics.durations.observe({ transport, method }, seconds);
    if (failure) this.metrics.errors.inc({ transport, code });
    const line = {
      transport,
      method,
      code,
      bytes_in: this.#bytesIn,
      bytes_out: this.#bytesOut,
      duration_ms: Math.round(seconds * 1e4) / 10,
      ...(this.#claims
        ? { sub: this.#claims.sub, org: this.#claims.org, backend: this.#claims.backend.id }
        : {}),
      ...this.#fields,
      ...(failure ? { error: failure.message, reason: failure.details.reason } : {}),
      // The cause of an unexpected error is logged (redacted) so operators can act; it is never sent.
      ...(failure && isUnexpected(failure) && failure.cause !== undefined ? { cause: failure.cause } : {}),
    };
    if (!failure || failure.code === Code.Canceled) this.logger.info('call', line);
    else if (isUnexpected(failure)) this.logger.error('call', line);
    else this.logger.warn('call', line);
    return failure;
  }
}

function isUnexpected(error: CairnError): boolean {
  return [Code.Internal, Code.Unknown, Code.DataLoss, Code.Unavailable].includes(error.code);
}
