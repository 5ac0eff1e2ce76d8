import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CallInterceptor, createCall, type InFlight, runIntercepted } from '@cairn/service-runtime';
import type { CallContext } from '../service/call-context.js';
import { sendError } from './http-errors.js';
import { casContext, QUERY_TOKEN } from './interceptors.js';

/**
 * The HTTP counterpart of the runtime's GrpcCalls, for blob requests: each request runs inside the same
 * interceptors as a gRPC call, gets a signal that aborts when the client goes away or the shutdown grace
 * ends, and on failure gets its error mapped to a status once.
 */
export class HttpCalls {
  constructor(
    private readonly interceptors: readonly CallInterceptor[],
    private readonly inFlight: InFlight,
  ) {}

  async run(
    method: string,
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    handle: (ctx: CallContext) => Promise<void>,
  ): Promise<void> {
    const done = this.inFlight.begin();
    const onClose = () => {
      if (!response.writableFinished) done.abort();
    };
    response.on('close', onClose);
    const call = createCall({
      transport: 'http',
      method,
      signal: done.signal,
      header: (name) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
    });
    // Only reads may carry their token in the URL (a link to one blob).
    if (request.method === 'GET' || request.method === 'HEAD') {
      const query = url.searchParams.get('t');
      if (query !== null) call.values.set(QUERY_TOKEN, query);
    }
    call.note({ path: url.pathname });
    try {
      await runIntercepted(this.interceptors, call, async () => {
        await handle(casContext(call));
        call.note({ status: response.statusCode });
      });
    } catch (error) {
      // A request whose body was not read must not leave the connection to be reused mid-body.
      if (!request.complete && !response.headersSent) response.setHeader('connection', 'close');
      sendError(response, error);
    } finally {
      done.finish();
      response.off('close', onClose);
    }
  }
}
