import { BUFFERED_MESSAGES, type GrpcPeer, limitMessageBuffering } from '@cairn/api';
import {
  type ChannelOptions,
  Client,
  type ClientReadableStream,
  type ClientWritableStream,
  Metadata,
  type MethodDefinition,
} from '@grpc/grpc-js';
import { defaultChannelOptions, parseTarget, UNARY_DEADLINE_MS } from './channel.js';
import type { Reachability } from './retry.js';

/** A CAS token, or a function that returns a fresh one for every call (tokens are short-lived). */
export type TokenSource = string | (() => Promise<string>);

/**
 * A channel option no part of grpc-js reads: it only makes the upload channel's options differ from the
 * other's, so grpc-js, which shares one connection among channels of equal target and options, gives
 * uploads a connection of their own (see Connection).
 */
const UPLOAD_CONNECTION_OPTION = 'cairn.upload_connection';

/**
 * Channels to the CAS plus the per-call plumbing: the bearer token in metadata, abort signals wired to
 * cancel, and types taken from the service definitions in `@cairn/api`.
 *
 * Uploads (client streams) travel on a connection of their own, apart from downloads and unary calls, so
 * no connection carries blob bytes both ways. Node's http2 stops reading a connection while a write to
 * it is pending; with bytes flowing both ways and both ends node (a process that uploads and downloads
 * at once, and the CAS), each end's writes wait for the other to read and neither reads: the connection
 * hangs until the keepalive drops it. `npm run load` met it with ~100 gRPC transfers in flight, uploads
 * and downloads mixed (RELIABILITY.md, "Load"); with the directions apart, none. grpc-js opens each
 * connection on its first call, so a client that only downloads opens one.
 */
export class Connection implements Reachability {
  readonly address: string;
  /** Names the CAS in errors about reaching it. */
  readonly peer: GrpcPeer;
  /** Whether the CAS answered this client once; until then retries use `maxAttemptsUnreached`. */
  reached = false;
  readonly #client: Client;
  readonly #uploadClient: Client;
  readonly #token: TokenSource;

  constructor(address: string, token: TokenSource, channelOptions: ChannelOptions = {}) {
    const { target, credentials } = parseTarget(address);
    this.address = address;
    this.peer = { service: 'the CAS', address };
    this.#token = token;
    const options = { ...defaultChannelOptions, ...channelOptions };
    this.#client = new Client(target, credentials, options);
    this.#uploadClient = new Client(target, credentials, { ...options, [UPLOAD_CONNECTION_OPTION]: 1 });
  }

  async metadata(extra: Readonly<Record<string, string>> = {}): Promise<Metadata> {
    const token = typeof this.#token === 'string' ? this.#token : await this.#token();
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${token}`);
    for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
    return metadata;
  }

  async unary<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    signal?: AbortSignal,
  ): Promise<Res> {
    signal?.throwIfAborted();
    const metadata = await this.metadata();
    return new Promise<Res>((resolve, reject) => {
      const call = this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        { deadline: Date.now() + UNARY_DEADLINE_MS },
        (error, response) => {
          signal?.removeEventListener('abort', cancel);
          if (error !== null || response === undefined) reject(error ?? new Error('empty response'));
          else resolve(response);
        },
      );
      const cancel = () => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** Opens a client stream; `response` settles with the server's answer or the call's error. */
  async clientStream<Req, Res>(
    method: MethodDefinition<Req, Res>,
    extraMetadata: Readonly<Record<string, string>>,
  ): Promise<{ call: ClientWritableStream<Req>; response: Promise<Res> }> {
    const metadata = await this.metadata(extraMetadata);
    let settle: { resolve: (value: Res) => void; reject: (reason: unknown) => void } | undefined;
    const response = new Promise<Res>((resolve, reject) => {
      settle = { resolve, reject };
    });
    const call = this.#uploadClient.makeClientStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      metadata,
      (error, value) => {
        if (error !== null || value === undefined) settle?.reject(error ?? new Error('empty response'));
        else settle?.resolve(value);
      },
    );
    // The caller may stop awaiting `response` after an error elsewhere; an unobserved rejection must not crash.
    response.catch(() => {});
    // Fewer 1 MiB messages queued ahead of a slower CAS: less memory, and no full GCs (message-buffering.ts).
    limitMessageBuffering(call, BUFFERED_MESSAGES);
    return { call, response };
  }

  async serverStream<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
  ): Promise<ClientReadableStream<Res>> {
    const metadata = await this.metadata();
    const call = this.#client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
    );
    limitMessageBuffering(call, BUFFERED_MESSAGES);
    return call;
  }

  close(): void {
    this.#client.close();
    this.#uploadClient.close();
  }
}
