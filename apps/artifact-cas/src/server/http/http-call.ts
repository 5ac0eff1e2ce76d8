import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { AccessRequirement, CallContext } from '../../service/call-context.js';
import { type Authenticator, bearerToken } from '../authenticator.js';
import { CallRecord } from '../call-log.js';
import type { InFlight } from '../in-flight.js';
import type { CasMetrics } from '../metrics.js';
import { sendError } from './http-errors.js';

/**
 * The HTTP middleware for blob requests, the counterpart of GrpcCalls: authentication from the
 * `Authorization` header (or, for GET and HEAD, a digest-bound `?t=` token), cancellation when the client
 * goes away or the shutdown grace ends, one error mapping, one log line and the metrics.
 */
export class HttpCalls {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly metrics: CasMetrics,
    private readonly logger: Logger,
    private readonly inFlight: InFlight,
  ) {}

  async run(
    method: string,
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    handle: (ctx: CallContext) => Promise<void>,
  ): Promise<void> {
    const record = new CallRecord('http', method, this.metrics, this.logger);
    const call = this.inFlight.begin();
    const onClose = () => {
      if (!response.writableFinished) call.abort();
    };
    response.on('close', onClose);
    let claims: Promise<CasClaims> | undefined;
    const ctx: CallContext = {
      signal: call.signal,
      metadata: (key) => {
        const value = request.headers[key];
        return Array.isArray(value) ? value[0] : value;
      },
      authorize: (need) => {
        claims ??= this.#authorize(request, url, need, call.signal).then((granted) => {
          record.principal(granted);
          return granted;
        });
        return claims;
      },
      received: (bytes) => record.received(bytes),
      sent: (bytes) => record.sent(bytes),
      note: (fields) => record.note(fields),
    };
    record.note({ path: url.pathname });
    try {
      await handle(ctx);
      record.note({ status: response.statusCode });
      record.end();
    } catch (error) {
      const failure = record.end(
        call.signal.aborted && !(error instanceof CairnError) ? call.signal.reason : error,
      );
      // A request whose body was not read must not leave the connection to be reused mid-body.
      if (!request.complete && !response.headersSent) response.setHeader('connection', 'close');
      sendError(response, failure);
    } finally {
      call.finish();
      response.off('close', onClose);
    }
  }

  async #authorize(
    request: IncomingMessage,
    url: URL,
    need: AccessRequirement,
    signal: AbortSignal,
  ): Promise<CasClaims> {
    const header = bearerToken(request.headers.authorization);
    if (header !== undefined) return this.authenticator.authenticate(header, need, signal);
    const query = url.searchParams.get('t') ?? undefined;
    if (query === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return this.authenticator.authenticate(undefined, need, signal);
    }
    const claims = await this.authenticator.authenticate(query, need, signal);
    if (claims.digest === undefined) {
      // A URL ends up in histories and logs: only a short-lived token for one blob may ride in it.
      throw new CairnError(
        Code.PermissionDenied,
        'a token in the URL (?t=) must be bound to the one blob it reads; send other tokens in the Authorization header',
        { details: { reason: 'query_token_unbound' } },
      );
    }
    return claims;
  }
}
