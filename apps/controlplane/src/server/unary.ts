import { grpcStatusOf } from '@cairn/api';
import { CairnError, Code, codeName } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { MethodDefinition, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import type { ApiTokens, Principal } from '../biz/index.js';
import type { CallContext } from '../service/call-context.js';
import type { ControlPlaneMetrics } from './metrics.js';

export type UnaryHandler<Req, Res> = (ctx: CallContext, request: Req) => Promise<Res>;

/**
 * Turns a service method into a grpc-js unary handler: authenticates the caller's API token, gives the
 * method a signal that aborts when the client goes away, maps errors to statuses once, logs one line per
 * call and counts it. Nothing from the request body or metadata is logged.
 */
export class UnaryCalls {
  constructor(
    private readonly tokens: ApiTokens,
    private readonly logger: Logger,
    private readonly metrics: ControlPlaneMetrics,
  ) {}

  handle<Req, Res>(method: MethodDefinition<Req, Res>, handler: UnaryHandler<Req, Res>) {
    const name = method.path;
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = process.hrtime.bigint();
      const abort = new AbortController();
      call.on('cancelled', () => abort.abort(new CairnError(Code.Canceled, 'the client cancelled the call')));
      let principal: Principal | undefined;
      const finish = (code: Code | 0, error?: unknown) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.metrics.calls.inc({ method: name, code: code === 0 ? 'OK' : codeName(code) });
        this.metrics.callSeconds.observe({ method: name }, seconds);
        const fields = {
          method: name,
          code: code === 0 ? 'OK' : codeName(code),
          ms: Math.round(seconds * 1000),
          ...(principal ? { org: principal.orgId, principal: principal.subject } : {}),
        };
        if (code === 0 || code !== Code.Internal) this.logger.info('grpc call', fields);
        else this.logger.error('grpc call failed', { ...fields, error: describeCause(error) });
      };
      (async () => {
        principal = await this.tokens.authenticate(bearerToken(call));
        return handler({ principal, signal: abort.signal }, call.request);
      })().then(
        (response) => {
          finish(0);
          callback(null, response);
        },
        (error: unknown) => {
          finish(CairnError.from(error).code, error);
          callback(grpcStatusOf(error));
        },
      );
    };
  }
}

function bearerToken(call: ServerUnaryCall<unknown, unknown>): string {
  const [value] = call.metadata.get('authorization');
  const text = typeof value === 'string' ? value : '';
  const match = /^Bearer\s+(\S+)$/i.exec(text.trim());
  if (!match?.[1]) {
    throw new CairnError(Code.Unauthenticated, 'send an API token as `authorization: Bearer cairn_...`');
  }
  return match[1];
}

// Unexpected errors' messages can come from drivers or libraries; only the class and code are logged.
function describeCause(error: unknown): Record<string, unknown> {
  const cause = error instanceof CairnError ? error.cause : error;
  if (cause instanceof Error) {
    return { type: cause.name, code: (cause as { code?: unknown }).code, message: cause.message };
  }
  return { type: typeof cause };
}
