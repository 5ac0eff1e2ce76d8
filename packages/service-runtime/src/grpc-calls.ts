import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { BUFFERED_MESSAGES, grpcStatusOf, limitMessageBuffering } from '@cairn/api';
import { awaitUnlessAborted, CairnError, Code } from '@cairn/errors';
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
import { type Call, type CallInterceptor, createCall, runIntercepted } from './calls.js';
import type { InFlight } from './in-flight.js';

/**
 * Turns a service's methods into grpc-js handlers that run inside the service's interceptors: each call
 * gets a signal that aborts when the client cancels (or the shutdown grace ends), is tracked for the
 * drain, maps its error to a status once, and, for streams, holds one message at a time and respects
 * backpressure.
 */
export class GrpcCalls {
  #bufferingWarned = false;

  constructor(
    private readonly interceptors: readonly CallInterceptor[],
    private readonly inFlight: InFlight,
    private readonly logger: Logger,
  ) {}

  unary<Req, Res>(
    definition: MethodDefinition<Req, Res>,
    run: (call: Call, request: Req) => Promise<Res>,
  ): handleUnaryCall<Req, Res> {
    const method = methodName(definition);
    return (stream, callback) => {
      this.#answer(method, stream, callback, (call) => run(call, stream.request));
    };
  }

  clientStream<Req, Res>(
    definition: MethodDefinition<Req, Res>,
    run: (call: Call, requests: AsyncIterator<Req>) => Promise<Res>,
  ): handleClientStreamingCall<Req, Res> {
    const method = methodName(definition);
    return (stream, callback) => {
      this.#limitBuffering(stream);
      this.#answer(method, stream, callback, (call) => run(call, messages(stream, call.signal)));
    };
  }

  serverStream<Req, Res>(
    definition: MethodDefinition<Req, Res>,
    run: (call: Call, request: Req) => AsyncIterable<Res>,
  ): handleServerStreamingCall<Req, Res> {
    const method = methodName(definition);
    return (stream) => {
      this.#limitBuffering(stream);
      const { call, done } = this.#begin(method, stream.metadata);
      stream.on('cancelled', () => done.abort());
      const send = async () => {
        for await (const message of run(call, stream.request)) {
          if (!stream.write(message)) await once(stream, 'drain', { signal: call.signal });
        }
      };
      runIntercepted(this.interceptors, call, send).then(
        () => {
          done.finish();
          stream.end();
        },
        (error: unknown) => {
          done.finish();
          if (!stream.cancelled) stream.emit('error', grpcStatusOf(error));
        },
      );
    };
  }

  /** Runs a call that ends in one response (unary, client stream) and sends its answer or its status. */
  #answer<Res>(
    method: string,
    stream: { readonly metadata: Metadata; on(event: 'cancelled', listener: () => void): unknown },
    callback: (error: ReturnType<typeof grpcStatusOf> | null, response?: Res) => void,
    run: (call: Call) => Promise<Res>,
  ): void {
    const { call, done } = this.#begin(method, stream.metadata);
    stream.on('cancelled', () => done.abort());
    runIntercepted(this.interceptors, call, () => run(call)).then(
      (response) => {
        done.finish();
        callback(null, response);
      },
      (error: unknown) => {
        done.finish();
        callback(grpcStatusOf(error));
      },
    );
  }

  #limitBuffering(stream: Readable | Writable): void {
    if (limitMessageBuffering(stream, BUFFERED_MESSAGES) || this.#bufferingWarned) return;
    this.#bufferingWarned = true;
    this.logger.warn('gRPC streams buffer messages with Node defaults (more memory and CPU per stream)', {
      reason: 'a grpc-js or Node upgrade changed stream internals; see message-buffering.ts',
    });
  }

  #begin(method: string, metadata: Metadata) {
    const done = this.inFlight.begin();
    const call = createCall({
      transport: 'grpc',
      method,
      signal: done.signal,
      header: (name) => {
        const [value] = metadata.get(name);
        return typeof value === 'string' ? value : undefined;
      },
    });
    return { call, done };
  }
}

/** `/google.bytestream.ByteStream/Write` → `ByteStream.Write`, the label of logs and metrics. */
export function methodName(definition: { readonly path: string }): string {
  const [, service = '', method = ''] = definition.path.split('/');
  return `${service.slice(service.lastIndexOf('.') + 1)}.${method}`;
}

/**
 * The messages of a client stream, pulled one at a time (grpc-js reads more only when asked, which is
 * the backpressure). Returning early leaves the call intact so the response can still be sent; a cancel
 * or an aborted signal ends the iteration with CANCELED.
 */
function messages<Req>(
  stream: ServerReadableStream<Req, unknown> | ServerDuplexStream<Req, unknown>,
  signal: AbortSignal,
) {
  const iterator = stream.iterator({ destroyOnReturn: false }) as AsyncIterator<Req>;
  const canceled = () =>
    signal.reason instanceof CairnError
      ? signal.reason
      : new CairnError(Code.Canceled, 'the client canceled the call');
  return {
    async next(): Promise<IteratorResult<Req>> {
      if (signal.aborted || stream.cancelled) throw canceled();
      try {
        return await awaitUnlessAborted(iterator.next(), signal, canceled);
      } catch (error) {
        throw signal.aborted || stream.cancelled ? canceled() : error;
      }
    },
    async return(): Promise<IteratorResult<Req>> {
      return { done: true, value: undefined };
    },
  } satisfies AsyncIterator<Req>;
}
