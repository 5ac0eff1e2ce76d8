// `npm run cluster`: Cairn as a small deployment on this machine, to try what several replicas do — two
// control planes on one PostgreSQL database and three CAS replicas behind HAProxy, all on 127.0.0.1.
// Everything lives in a fresh folder and a fresh database, both removed on Ctrl-C. See docs/cluster.md.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { startCluster } from './cluster/cluster.js';
import { RUN_PREFIX, recordOwner, sweepAbandonedRuns } from './cluster/leftovers.js';

const run = promisify(execFile);
const ENSURE_POSTGRES = fileURLToPath(new URL('./ensure-postgres.sh', import.meta.url));

const USAGE = `Usage: npm run cluster [-- --port-base N] [--control-planes N] [--cas N]

Starts two control planes and three CAS replicas (by default) behind HAProxy, on a fresh database of the
PostgreSQL at DATABASE_URL (default: the machine's, on 127.0.0.1:5432, started if needed). HAProxy listens
on 127.0.0.1, ports N to N+3 (default 9100): control plane gRPC and HTTP, CAS gRPC and HTTP.
Ctrl-C stops everything and removes the folder and the database; after a kill -9, the next run does.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'port-base': { type: 'string', default: '9100' },
      'control-planes': { type: 'string', default: '2' },
      cas: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const base = Number(values['port-base']);
  const controlPlanes = Number(values['control-planes']);
  const casReplicas = Number(values.cas);
  for (const [flag, value, max] of [
    ['--port-base', base, 65_532],
    ['--control-planes', controlPlanes, 9],
    ['--cas', casReplicas, 9],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
      process.stderr.write(`cluster: ${flag} must be a whole number from 1 to ${max}\n\n${USAGE}`);
      return 2;
    }
  }

  if (process.env.DATABASE_URL === undefined) await run('bash', [ENSURE_POSTGRES]);
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dropDatabase = (name: string) => admin(serverUrl, `drop database if exists ${name} with (force)`);
  for (const swept of await sweepAbandonedRuns(tmpdir(), dropDatabase)) {
    process.stderr.write(`cluster: removed ${swept} and its database, left by a run that was killed\n`);
  }
  const database = `cairn_cluster_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, `create database ${database}`);
  const databaseUrl = new URL(serverUrl);
  databaseUrl.pathname = `/${database}`;
  const dir = await mkdtemp(join(tmpdir(), RUN_PREFIX));
  const cleanUp = async () => {
    await dropDatabase(database);
    await rm(dir, { recursive: true, force: true });
  };
  // A later run removes both if this script is killed with -9 and cannot.
  await recordOwner(dir, { pid: process.pid, database });

  process.stderr.write(`cluster: starting in ${dir} (logs in ${join(dir, 'logs')})\n`);
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  try {
    cluster = await startCluster({
      dir,
      databaseUrl: databaseUrl.toString(),
      controlPlanes,
      casReplicas,
      frontends: {
        controlPlaneGrpc: base,
        controlPlaneHttp: base + 1,
        casGrpc: base + 2,
        casHttp: base + 3,
      },
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const { frontends } = cluster;
  const pids = [...cluster.replicas.values()].map(
    (replica) => `  ${replica.spec.name.padEnd(6)} pid ${replica.pid}`,
  );
  process.stdout.write(
    [
      'Cairn cluster ready (HAProxy on 127.0.0.1):',
      `  control plane  gRPC 127.0.0.1:${frontends.controlPlaneGrpc}  HTTP http://127.0.0.1:${frontends.controlPlaneHttp}`,
      `  artifact CAS   gRPC 127.0.0.1:${frontends.casGrpc}  HTTP http://127.0.0.1:${frontends.casHttp}`,
      'Replicas (kill one with `kill -9 PID`; the others keep serving):',
      ...pids,
      'Use it from another terminal:',
      `  export CAIRN_CONTROLPLANE_ADDRESS=127.0.0.1:${frontends.controlPlaneGrpc}`,
      `  export CAIRN_API_TOKEN=$(cat ${join(dir, 'api-token')})`,
      '  cairn artifact upload -f README.md',
      'Ctrl-C stops the cluster.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('\ncluster: stopping\n');
  await cluster.stop();
  await cleanUp();
  return 0;
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
