import { type ChannelCredentials, type ChannelOptions, credentials as grpcCredentials } from '@grpc/grpc-js';

/** Bytes per WriteRequest: large enough to keep per-message overhead small, small enough to stream. */
export const CHUNK_SIZE = 1024 * 1024;

/**
 * grpc-js's default HTTP/2 windows hold a stream to ~0.3 GiB/s here; a 256 MiB connection window lets
 * it run near the transport's ceiling (see ENVIRONMENT.md). Message limits leave room for a 1 MiB chunk
 * plus its framing, and accept larger chunks from a server that sends them. The window also caps what
 * a download whose sink is slower than the network may hold in memory; lower it through
 * `channelOptions` where memory is tighter than bandwidth.
 */
export const defaultChannelOptions: ChannelOptions = {
  'grpc-node.flow_control_window': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 4 * 1024 * 1024,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  // A connection that dies silently (a NAT or a load balancer dropping it) fails the call within a
  // minute and a half instead of hanging until TCP gives up; pings go only while calls are running.
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
};

/** Unary calls (Describe, FindMissing, QueryWriteStatus) that take longer are treated as lost and retried. */
export const UNARY_DEADLINE_MS = 60_000;

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
