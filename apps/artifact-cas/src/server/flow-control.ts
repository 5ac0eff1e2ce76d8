import type { Http2Server, Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/**
 * Raises the HTTP/2 flow-control windows of the sessions a grpc-js server accepts.
 *
 * Why: with HTTP/2's default 64 KiB windows a grpc-js stream stalls on WINDOW_UPDATE round trips and moves
 * ~0.3 GiB/s here; with a 256 MiB connection window and 16 MiB stream windows it moves ~0.7 GiB/s
 * (ENVIRONMENT.md, "Ceilings measured"). Clients raise theirs with the channel option
 * `grpc-node.flow_control_window`; grpc-js has no server option for it.
 *
 * How: grpc-js creates one `http2.Http2Server` per bound address in its private method
 * `createHttp2Server(credentials)` (grpc-js 1.14.x, build/src/server.js). We wrap that method on this one
 * server instance, and on every `session` event of the http2 servers it returns we call
 * `session.setLocalWindowSize(connectionWindow)` (our receive window for the whole connection) and
 * `session.settings({ initialWindowSize: streamWindow })` (the receive window of every stream the peer
 * opens; sent as a SETTINGS frame right after grpc-js's own).
 *
 * Risk: this reaches into grpc-js internals. @grpc/grpc-js is pinned to an exact version in package.json;
 * if an upgrade renames or removes `createHttp2Server`, `raiseServerFlowControlWindows` reports
 * `applied: false` (the caller logs it and serves with default windows — slower, never wrong), and
 * flow-control.test.ts fails, so the upgrade cannot land unnoticed. Nothing else of grpc-js is touched.
 */
export interface FlowControlWindows {
  /** Receive window of a whole connection, in bytes (HTTP/2 allows at most 2^31 - 1). */
  readonly connectionWindowBytes: number;
  /** Initial receive window of each stream, in bytes. */
  readonly streamWindowBytes: number;
}

export const DEFAULT_FLOW_CONTROL_WINDOWS: FlowControlWindows = {
  connectionWindowBytes: 256 * 1024 * 1024,
  streamWindowBytes: 16 * 1024 * 1024,
};

const MAX_WINDOW = 2 ** 31 - 1;

type CreateHttp2Server = (this: Server, ...args: unknown[]) => Http2Server;

export type FlowControlResult =
  | { readonly applied: true }
  | { readonly applied: false; readonly reason: string };

/**
 * Must be called after `new Server()` and before `bindAsync`. `onSession` (optional) sees every session
 * after its windows were raised; tests use it to inspect `session.state`.
 */
export function raiseServerFlowControlWindows(
  server: Server,
  windows: FlowControlWindows = DEFAULT_FLOW_CONTROL_WINDOWS,
  onSession?: (session: Http2Session) => void,
): FlowControlResult {
  for (const value of [windows.connectionWindowBytes, windows.streamWindowBytes]) {
    if (!Number.isSafeInteger(value) || value < 65_535 || value > MAX_WINDOW) {
      throw new RangeError(
        `an HTTP/2 window must be an integer between 65535 and ${MAX_WINDOW}, got ${value}`,
      );
    }
  }
  const internals = server as unknown as { createHttp2Server?: unknown };
  const original = internals.createHttp2Server;
  if (typeof original !== 'function') {
    return { applied: false, reason: 'this grpc-js version has no Server.createHttp2Server to hook' };
  }
  const create = original as CreateHttp2Server;
  const raise = (session: Http2Session) => {
    try {
      session.setLocalWindowSize(windows.connectionWindowBytes);
      session.settings({ initialWindowSize: windows.streamWindowBytes });
    } catch {
      // A session torn down before its first frame cannot take settings; it serves nothing either.
      return;
    }
    onSession?.(session);
  };
  internals.createHttp2Server = function hooked(this: Server, ...args: unknown[]): Http2Server {
    const http2Server = create.apply(this, args);
    http2Server.on('session', raise);
    return http2Server;
  };
  return { applied: true };
}

/** Channel options a grpc-js client passes so its side of the connection has large windows too. */
export function clientFlowControlOptions(windowBytes = DEFAULT_FLOW_CONTROL_WINDOWS.connectionWindowBytes): {
  'grpc-node.flow_control_window': number;
} {
  return { 'grpc-node.flow_control_window': windowBytes };
}
