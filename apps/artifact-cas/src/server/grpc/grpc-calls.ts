import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { BUFFERED_MESSAGES, grpcStatusOf, limitMessageBuffering } from '@cairn/api';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type {
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  Metadata,
  MethodDefinition,
  ServerDuplexStream,
  ServerReadableStream,
} from '@grpc/grpc-js';
import type { AccessRequirement, CallContext } from '../../service/call-context.js';
import { type Authenticator, bearerToken } from '../authenticator.js';
import { CallRecord } from '../call-log.js';
import type { InFlight } from '../in-flight.js';
import type { CasMetrics } from '../metrics.js';

/**
 * The gRPC middleware: turns service methods into grpc-js handlers that authenticate from the
 * `authorization` metadata, cancel on client cancel (or at the end of the shutdown grace), map errors to
 * statuses once, respect backpressure, and log and measure every call.
 */
export class GrpcCalls {
  #bufferingWarned = false;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly metrics: CasMetrics,
    private readonly logger: Logger,
    private readonly inFlight: InFlight,
  ) {}

  unary<Req, Res>(
    definition: MethodDefinition<Req, Res>,
    run: (ctx: CallContext, request: Req) => Promise<Res>,
  ): handleUnaryCall<Req, Res> {
    const method = methodName(definition);
    return (call, callback) => {
      const { ctx, record, done } = this.#begin(method, call.metadata);
      call.on('cancelled', () => done.abort());
      run(ctx, call.request).then(
        (response) => {
          record.end();
          done.finish();
          callback(null, response);
        },
        (error: unknown) => {
          const failure = record.end(error);
          done.finish();
          callback(grpcStatusOf(failure));
        },
      );
    };
  }

  clientStream<Req, Res>(
    definition: MethodDefinition<Req, Res>,
    run: (ctx: CallContext, requests: AsyncIterator<Req>) => Promise<Res>,
  ): handleClientStreamingCall<Req, Res> {
    const method = methodName(definition);
    return (call, callback) => {
      this.#limitBuffering(call);
      const { ctx, record, done } = this.#begin(method, call.metadata);
      call.on('cancelled', () => done.abort());
      run(ctx, messages(call, ctx.signal)).then(
        (response) => {
          record.end();
          done.finish();
          callback(null, response);
        },
        (error: unknown) => {
          const failure = record.end(
            ctx.signal.aborted && !(error instanceof CairnError) ? ctx.signal.reason : error,
          );
          done.finish();
          callback(grpcStatusOf(failure));
        },
      );
    };
  }

  serverStream<Req, Res>(
    definition: MethodDefinition<Req, Res>,
    run: (ctx: CallContext, request: Req) => AsyncIterable<Res>,
  ): handleServerStreamingCall<Req, Res> {
    const method = methodName(definition);
    return (call) => {
      this.#limitBuffering(call);
      const { ctx, record, done } = this.#begin(method, call.metadata);
      call.on('cancelled', () => done.abort());
      const send = async () => {
        for await (const message of run(ctx, call.request)) {
          if (!call.write(message)) await once(call, 'drain', { signal: ctx.signal });
        }
      };
      send().then(
        () => {
          record.end();
          done.finish();
          call.end();
        },
        (error: unknown) => {
          const failure = record.end(ctx.signal.aborted ? (ctx.signal.reason ?? error) : error);
          done.finish();
          if (!call.cancelled) call.emit('error', grpcStatusOf(failure));
        },
      );
    };
  }

  #limitBuffering(call: Readable | Writable): void {
    if (limitMessageBuffering(call, BUFFERED_MESSAGES) || this.#bufferingWarned) return;
    this.#bufferingWarned = true;
    this.logger.warn('gRPC streams buffer messages with Node defaults (more memory and CPU per stream)', {
      reason: 'a grpc-js or Node upgrade changed stream internals; see message-buffering.ts',
    });
  }

  #begin(method: string, metadata: Metadata) {
    const record = new CallRecord('grpc', method, this.metrics, this.logger);
    const done = this.inFlight.begin();
    let claims: Promise<CasClaims> | undefined;
    const first = (key: string) => {
      const [value] = metadata.get(key);
      return typeof value === 'string' ? value : undefined;
    };
    const ctx: CallContext = {
      signal: done.signal,
      metadata: first,
      authorize: (need: AccessRequirement) => {
        claims ??= (async () => {
          const granted = await this.authenticator.authenticate(
            bearerToken(first('authorization')),
            need,
            done.signal,
          );
          record.principal(granted);
          return granted;
        })();
        return claims;
      },
      received: (bytes) => record.received(bytes),
      sent: (bytes) => record.sent(bytes),
      note: (fields) => record.note(fields),
    };
    return { ctx, record, done };
  }
}

/** `/google.bytestream.ByteStream/Write` → `ByteStream.Write`, the label of logs and metrics. */
function methodName(definition: { readonly path: string }): string {
  const [, service = '', method = ''] = definition.path.split('/');
  return `${service.slice(service.lastIndexOf('.') + 1)}.${method}`;
}

/**
 * The messages of a client stream, pulled one at a time (grpc-js reads more only when asked, which is
 * the backpressure). Returning early leaves the call intact so the response can still be sent; a cancel
 * or an aborted signal ends the iteration with CANCELED.
 */
function messages<Req>(
  call: ServerReadableStream<Req, unknown> | ServerDuplexStream<Req, unknown>,
  signal: AbortSignal,
) {
  const iterator = call.iterator({ destroyOnReturn: false }) as AsyncIterator<Req>;
  const canceled = () =>
    signal.reason instanceof CairnError
      ? signal.reason
      : new CairnError(Code.Canceled, 'the client canceled the call');
  return {
    async next(): Promise<IteratorResult<Req>> {
      if (signal.aborted || call.cancelled) throw canceled();
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(canceled());
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        return await Promise.race([iterator.next(), aborted]);
      } catch (error) {
        throw signal.aborted || call.cancelled ? canceled() : error;
      } finally {
        if (onAbort) signal.removeEventListener('abort', onAbort);
      }
    },
    async return(): Promise<IteratorResult<Req>> {
      return { done: true, value: undefined };
    },
  } satisfies AsyncIterator<Req>;
}
