import type { Http2Session } from 'node:http2';
import { create } from '@bufbuild/protobuf';
import { health, healthService } from '@cairn/api';
import { credentials, makeGenericClientConstructor, Server, ServerCredentials } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_CONTROL_WINDOWS, raiseServerFlowControlWindows } from './flow-control.js';

const servers: Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.forceShutdown();
});

async function serve(hook: boolean): Promise<{ port: number; sessions: Http2Session[] }> {
  const server = new Server();
  servers.push(server);
  const sessions: Http2Session[] = [];
  if (hook) {
    expect(
      raiseServerFlowControlWindows(server, DEFAULT_FLOW_CONTROL_WINDOWS, (s) => sessions.push(s)),
    ).toEqual({
      applied: true,
    });
  }
  server.addService(healthService, {
    check: (_call: unknown, callback: (error: null, response: health.HealthCheckResponse) => void) =>
      callback(
        null,
        create(health.HealthCheckResponseSchema, {
          status: health.HealthCheckResponse_ServingStatus.SERVING,
        }),
      ),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, sessions };
}

async function check(port: number): Promise<void> {
  const Client = makeGenericClientConstructor(healthService, 'Health');
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        healthService.check.path,
        healthService.check.requestSerialize,
        healthService.check.responseDeserialize,
        create(health.HealthCheckRequestSchema),
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  } finally {
    client.close();
  }
}

describe('raiseServerFlowControlWindows', () => {
  it('raises the connection window and the stream window of every session grpc-js accepts', async () => {
    const { port, sessions } = await serve(true);
    await check(port);
    expect(sessions).toHaveLength(1);
    const [session] = sessions;
    // The window shrinks by the few bytes of the one call until the next WINDOW_UPDATE.
    expect(session?.state.localWindowSize).toBeGreaterThan(
      DEFAULT_FLOW_CONTROL_WINDOWS.connectionWindowBytes - 1024,
    );
    expect(session?.localSettings.initialWindowSize).toBe(DEFAULT_FLOW_CONTROL_WINDOWS.streamWindowBytes);
  });

  it('leaves a server without the hook on the HTTP/2 defaults (the hook is what raises them)', async () => {
    const server = new Server();
    servers.push(server);
    const seen: Http2Session[] = [];
    const internals = server as unknown as {
      createHttp2Server: (...args: unknown[]) => import('node:http2').Http2Server;
    };
    const original = internals.createHttp2Server.bind(server);
    internals.createHttp2Server = (...args) => {
      const http2Server = original(...args);
      http2Server.on('session', (session) => seen.push(session));
      return http2Server;
    };
    server.addService(healthService, {
      check: (_call: unknown, callback: (error: null, response: health.HealthCheckResponse) => void) =>
        callback(null, create(health.HealthCheckResponseSchema)),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    await check(port);
    expect(seen[0]?.state.localWindowSize).toBeLessThanOrEqual(65_535);
    expect(seen[0]?.localSettings.initialWindowSize).toBe(65_535);
  });

  it('refuses windows HTTP/2 cannot express', () => {
    expect(() =>
      raiseServerFlowControlWindows(new Server(), {
        connectionWindowBytes: 2 ** 31,
        streamWindowBytes: 65_535,
      }),
    ).toThrow(RangeError);
  });
});
