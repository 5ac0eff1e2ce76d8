import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';

/** A replica as HAProxy sees it: where its gRPC and HTTP servers listen. */
export interface Upstream {
  readonly name: string;
  readonly grpcPort: number;
  readonly httpPort: number;
}

/** The four ports HAProxy publishes on 127.0.0.1. */
export interface Frontends {
  readonly controlPlaneGrpc: number;
  readonly controlPlaneHttp: number;
  readonly casGrpc: number;
  readonly casHttp: number;
}

/**
 * HAProxy in front of every replica. gRPC passes through in TCP mode (h2c end to end), each client
 * connection to the least busy ready replica; HTTP is balanced per request. A replica takes traffic
 * while its `/readyz` answers 200, checked every 500 ms: a killed one is out within about a second, and a
 * connection that fails to reach it meanwhile is sent to another (`option redispatch`, `retries`).
 */
export function haproxyConfig(
  frontends: Frontends,
  controlPlanes: readonly Upstream[],
  cas: readonly Upstream[],
) {
  const servers = (upstreams: readonly Upstream[], port: 'grpcPort' | 'httpPort') =>
    upstreams
      .map(
        (upstream) =>
          `    server ${upstream.name} 127.0.0.1:${upstream[port]} check port ${upstream.httpPort}`,
      )
      .join('\n');
  const section = (name: string, mode: 'tcp' | 'http', bind: number, upstreams: readonly Upstream[]) => `
frontend ${name}
    mode ${mode}
    bind 127.0.0.1:${bind}
    default_backend ${name}

backend ${name}
    mode ${mode}
    balance ${mode === 'tcp' ? 'leastconn' : 'roundrobin'}
    option httpchk
    http-check send meth GET uri /readyz
    http-check expect status 200
${servers(upstreams, mode === 'tcp' ? 'grpcPort' : 'httpPort')}
`;
  return `# Written by scripts/cluster; see docs/cluster.md.
global
    maxconn 4096

defaults
    log stdout format raw local0 info
    timeout connect 2s
    # Idle limits, not limits on a whole transfer.
    timeout client 5m
    timeout server 5m
    timeout http-request 30s
    retries 3
    option redispatch
    default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
${section('controlplane_grpc', 'tcp', frontends.controlPlaneGrpc, controlPlanes)}${section('controlplane_http', 'http', frontends.controlPlaneHttp, controlPlanes)}${section('cas_grpc', 'tcp', frontends.casGrpc, cas)}${section('cas_http', 'http', frontends.casHttp, cas)}`;
}

export interface RunningHaproxy {
  stop(): Promise<void>;
}

/**
 * Runs `haproxy -db` on `configFile` until `stop`. It runs under a shell that ends it when this process's
 * end of its stdin closes, so HAProxy never outlives the test or script that started it.
 */
export async function startHaproxy(
  configFile: string,
  config: string,
  logFile: string,
  frontends: Frontends,
) {
  await writeFile(configFile, config, { mode: 0o600 });
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const child: ChildProcess = spawn(
    'sh',
    ['-c', 'haproxy -db -f "$1" & pid=$!; trap "kill $pid" EXIT; read _ignored; exit 0', 'sh', configFile],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = once(child, 'exit').finally(() => log.end());
  const deadline = Date.now() + 10_000;
  for (const port of Object.values(frontends)) {
    while (!(await listening(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`HAProxy did not start; see ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    async stop() {
      child.stdin?.end();
      await exited;
    },
  } satisfies RunningHaproxy;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
