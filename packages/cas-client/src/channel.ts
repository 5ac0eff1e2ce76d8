import { type ChannelCredentials, type ChannelOptions, credentials as grpcCredentials } from '@grpc/grpc-js';

/** Bytes per WriteRequest: large enough to keep per-message overhead small, small enough to stream. */
export const CHUNK_SIZE = 1024 * 1024;

/**
 * grpc-js's default HTTP/2 windows hold a stream to ~0.3 GiB/s here; a 256 MiB connection window lets
 * it run near the transport's ceiling (see ENVIRONMENT.md). Message limits leave room for a 1 MiB chunk
 * plus its framing, and accept larger chunks from a server that sends them.
 */
export const defaultChannelOptions: ChannelOptions = {
  'grpc-node.flow_control_window': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 4 * 1024 * 1024,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
};

export interface Target {
  /** What grpc-js dials, e.g. `127.0.0.1:9001`. */
  readonly target: string;
  readonly credentials: ChannelCredentials;
}

/**
 * Accepts `host:port`, `grpc://host:port` or `http://host:port` (plaintext) and `grpcs://` or
 * `https://` (TLS), so an address copied from a config or a URL bar works as it is.
 */
export function parseTarget(address: string): Target {
  const match = /^(grpcs?|https?):\/\/(.+?)\/?$/.exec(address);
  if (match === null) return { target: address, credentials: grpcCredentials.createInsecure() };
  const [, scheme = '', hostPort = ''] = match;
  const secure = scheme === 'grpcs' || scheme === 'https';
  return {
    target: hostPort,
    credentials: secure ? grpcCredentials.createSsl() : grpcCredentials.createInsecure(),
  };
}
