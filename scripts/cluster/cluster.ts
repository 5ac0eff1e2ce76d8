import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { PORT_RANGES, portPicker } from '@cairn/backends/testing';
import { withMallocTunables } from '@cairn/malloc-tunables';
import {
  type Frontends,
  haproxyConfig,
  type RunningHaproxy,
  startHaproxy,
  type Upstream,
} from './haproxy.js';
import { Replica } from './replica.js';

const run = promisify(execFile);
const CAS_ENTRY = fileURLToPath(new URL('../../apps/artifact-cas/src/main.ts', import.meta.url));
const CONTROL_PLANE_ENTRY = fileURLToPath(new URL('../../apps/controlplane/src/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const CAIRN = fileURLToPath(new URL('../../apps/cli/bin/cairn.js', import.meta.url));
const ENSURE_HAPROXY = fileURLToPath(new URL('../ensure-haproxy.sh', import.meta.url));

export interface ClusterOptions {
  /** An empty folder for configs, logs, keys, the file secret store and the shared blobs. */
  readonly dir: string;
  /** A PostgreSQL database all control planes share (created beforehand, may be empty). */
  readonly databaseUrl: string;
  readonly controlPlanes?: number;
  readonly casReplicas?: number;
  /** The ports HAProxy publishes; free ones by default. */
  readonly frontends?: Frontends;
  /** How long a CAS token is valid; the old key of a rotation retires this + 30 s after the switch. */
  readonly tokenLifetimeSeconds?: number;
  /** How often each control plane reads the signing-key schedule. */
  readonly keyRefreshMs?: number;
  /** How often default backends are revalidated, and how often each control plane looks for due ones. */
  readonly validation?: { readonly primaryIntervalMs: number; readonly tickMs: number };
}

export interface Cluster {
  readonly dir: string;
  readonly frontends: Frontends;
  /** `cp-1`, `cp-2`, … and `cas-1`, `cas-2`, …, in start order. */
  readonly replicas: ReadonlyMap<string, Replica>;
  /** The organisation's API token, made by the first control plane's bootstrap. */
  readonly apiToken: string;
  /** What the `cairn` CLI needs to talk to the cluster through HAProxy. */
  readonly cliEnv: Readonly<Record<string, string>>;
  /** The organisation's default backend (`shared`, filesystem): a folder every CAS replica serves. */
  readonly blobsDir: string;
  replica(name: string): Replica;
  /** `controlplane keys rotate --lead SECONDS` against the cluster's database; its JSON answer. */
  rotateKeys(
    leadSeconds: number,
  ): Promise<{ signing: string; from: string; retiring: string[]; until: string }>;
  /** Every replica's log, for counting what they did. */
  logs(): Promise<ReadonlyMap<string, string>>;
  stop(): Promise<void>;
}

/**
 * Several control planes on one PostgreSQL database and several CAS replicas, all behind one HAProxy on
 * 127.0.0.1, sharing what a deployment shares: the database, the secret store (the file store, in one
 * folder), the first signing key and a filesystem backend folder. Used by `npm run cluster` and by the
 * cluster test, which kills replicas under load.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { dir } = options;
  await run('bash', [ENSURE_HAPROXY]);
  const logsDir = join(dir, 'logs');
  const blobsDir = join(dir, 'blobs');
  for (const folder of [logsDir, blobsDir, join(dir, 'secrets')])
    await mkdir(folder, { recursive: true, mode: 0o700 });
  const frontends = options.frontends ?? {
    controlPlaneGrpc: await freePort(),
    controlPlaneHttp: await freePort(),
    casGrpc: await freePort(),
    casHttp: await freePort(),
  };
  const upstreams = async (prefix: string, count: number): Promise<Upstream[]> => {
    const list: Upstream[] = [];
    for (let index = 1; index <= count; index += 1) {
      list.push({ name: `${prefix}-${index}`, grpcPort: await freePort(), httpPort: await freePort() });
    }
    return list;
  };
  const controlPlanes = await upstreams('cp', options.controlPlanes ?? 2);
  const casReplicas = await upstreams('cas', options.casReplicas ?? 3);
  const secrets = { kind: 'file', directory: join(dir, 'secrets'), keyFile: join(dir, 'secrets.key') };
  const casAddress = `127.0.0.1:${frontends.casGrpc}`;
  const apiTokenFile = join(dir, 'api-token');
  const env = childEnv();

  const replicas = new Map<string, Replica>();
  for (const [index, upstream] of controlPlanes.entries()) {
    const configFile = join(dir, `${upstream.name}.json`);
    await writeJson(configFile, {
      stateDir: join(dir, upstream.name),
      grpc: { host: '127.0.0.1', port: upstream.grpcPort },
      http: { host: '127.0.0.1', port: upstream.httpPort },
      database: { url: options.databaseUrl, maxConnections: 5 },
      secrets,
      tokens: {
        signingKeyFile: join(dir, 'signing-key.json'),
        lifetimeSeconds: options.tokenLifetimeSeconds ?? 300,
        keyRefreshMs: options.keyRefreshMs ?? 5_000,
      },
      cas: { grpcAddress: casAddress, publicGrpcAddress: casAddress },
      ...(options.validation === undefined ? {} : { validation: options.validation }),
      // The first control plane makes the organisation; the others find it.
      ...(index === 0 ? { bootstrap: { organization: 'cluster', apiTokenFile } } : {}),
      shutdownGraceMs: 2_000,
    });
    replicas.set(
      upstream.name,
      new Replica({
        name: upstream.name,
        entry: CONTROL_PLANE_ENTRY,
        args: ['serve', '--config', configFile],
        env,
        readyUrl: `http://127.0.0.1:${upstream.httpPort}/readyz`,
        metricsUrl: `http://127.0.0.1:${upstream.httpPort}/metrics`,
        logFile: join(logsDir, `${upstream.name}.log`),
      }),
    );
  }
  for (const upstream of casReplicas) {
    const configFile = join(dir, `${upstream.name}.json`);
    await writeJson(configFile, {
      grpc: { host: '127.0.0.1', port: upstream.grpcPort },
      http: { host: '127.0.0.1', port: upstream.httpPort },
      tokens: { jwksUrl: `http://127.0.0.1:${frontends.controlPlaneHttp}/.well-known/jwks.json` },
      secrets,
      backends: { filesystemRoots: [blobsDir] },
      shutdownGraceMs: 2_000,
    });
    replicas.set(
      upstream.name,
      new Replica({
        name: upstream.name,
        entry: CAS_ENTRY,
        args: ['--config', configFile],
        env: withMallocTunables(env),
        nodeFlags: CAS_NODE_FLAGS,
        readyUrl: `http://127.0.0.1:${upstream.httpPort}/readyz`,
        metricsUrl: `http://127.0.0.1:${upstream.httpPort}/metrics`,
        logFile: join(logsDir, `${upstream.name}.log`),
      }),
    );
  }

  let haproxy: RunningHaproxy | undefined;
  const stop = async () => {
    await Promise.all([...replicas.values()].map((replica) => replica.stop()));
    await haproxy?.stop();
  };
  try {
    haproxy = await startHaproxy(
      join(dir, 'haproxy.cfg'),
      haproxyConfig(frontends, controlPlanes, casReplicas),
      join(logsDir, 'haproxy.log'),
      frontends,
    );
    // One at a time for the control planes: the first migrates the database and adopts the signing key.
    for (const upstream of controlPlanes) await replicas.get(upstream.name)?.start();
    await Promise.all(casReplicas.map((upstream) => replicas.get(upstream.name)?.start()));
    const apiToken = (await readFile(apiTokenFile, 'utf8')).trim();
    const cliEnv = {
      CAIRN_CONTROLPLANE_ADDRESS: `127.0.0.1:${frontends.controlPlaneGrpc}`,
      CAIRN_API_TOKEN: apiToken,
    };
    // The organisation's default backend, created as an operator would, through the balancer: its write
    // check runs on whichever CAS replica HAProxy picks.
    await run(
      CAIRN,
      ['cas-backend', 'add', 'filesystem', '--name', 'shared', '--path', blobsDir, '--default', '--json'],
      { env: { ...env, ...cliEnv } },
    );
    const firstConfig = join(dir, `${controlPlanes[0]?.name}.json`);
    return {
      dir,
      frontends,
      replicas,
      apiToken,
      cliEnv,
      blobsDir,
      replica(name) {
        const replica = replicas.get(name);
        if (replica === undefined) throw new Error(`the cluster has no replica ${name}`);
        return replica;
      },
      async rotateKeys(leadSeconds) {
        const { stdout } = await run(
          process.execPath,
          [
            '--import',
            TSX,
            CONTROL_PLANE_ENTRY,
            'keys',
            'rotate',
            '--lead',
            String(leadSeconds),
            '--config',
            firstConfig,
          ],
          { env },
        );
        return JSON.parse(stdout);
      },
      async logs() {
        const entries = await Promise.all(
          [...replicas.values()].map(
            async (replica) =>
              [replica.spec.name, await readFile(replica.spec.logFile, 'utf8').catch(() => '')] as const,
          ),
        );
        return new Map(entries);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** This process's environment without CAIRN_* settings, so none reaches a replica by accident. */
function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('CAIRN_')) env[key] = value;
  }
  return env;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

const freePort = portPicker(PORT_RANGES.cluster);
