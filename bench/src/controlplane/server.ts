import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CAS_NODE_FLAGS } from '@cairn/artifact-cas/node-flags';
import { withMallocTunables } from '@cairn/malloc-tunables';

const run = promisify(execFile);

export type BenchDatabase = 'postgres' | 'pglite';

/** The local PostgreSQL server (trust auth); CAIRN_BENCH_POSTGRES_URL overrides it. */
const POSTGRES_URL = process.env.CAIRN_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** database.maxConnections of the control plane (its default). */
const MAX_CONNECTIONS = 10;

/** A fresh PGlite data dir takes seconds to initialise, many more on a busy machine. */
const READY_TIMEOUT_MS = 180_000;

export interface BenchControlPlane {
  readonly pid: number;
  readonly grpcAddress: string;
  /** The bootstrap organisation's first API token. */
  readonly apiToken: string;
  /** A directory for a filesystem backend of that organisation. */
  readonly blobsDir: string;
  /** The PostgreSQL database it runs on (undefined on PGlite). */
  readonly databaseUrl: string | undefined;
  /** Its database.maxConnections. */
  readonly maxConnections: number;
  stop(): Promise<void>;
}

/**
 * Starts the control plane as its own process (`apps/controlplane/src/main.ts serve`) from a config file,
 * on a PostgreSQL database of its own (created here, dropped by `stop`) or on PGlite in a temp dir, and
 * a CAS beside it (the control plane has the CAS check a backend before it keeps one).
 */
export async function startBenchControlPlane(
  database: BenchDatabase,
  options: { readonly cacheTtlMs?: number } = {},
): Promise<BenchControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-cp-'));
  const blobsDir = join(dir, 'blobs');
  await mkdir(blobsDir);
  const databaseName = `cairn_bench_${randomBytes(6).toString('hex')}`;
  let databaseUrl: string | undefined;
  if (database === 'postgres') {
    await psql(`create database ${databaseName}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
  }
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const [casGrpcPort, casHttpPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'controlplane.json');
  const casConfigFile = join(dir, 'cas.json');
  await writeFile(
    casConfigFile,
    JSON.stringify({
      grpc: { port: casGrpcPort },
      http: { port: casHttpPort },
      tokens: { jwksUrl: `http://127.0.0.1:${httpPort}/.well-known/jwks.json` },
      backends: { filesystemRoots: [dir] },
      // The control plane's file secret store (its defaults under stateDir).
      secrets: { kind: 'file', directory: join(dir, 'secrets'), keyFile: join(dir, 'secrets.key') },
      log: { level: 'warn' },
    }),
  );
  await writeFile(
    configFile,
    JSON.stringify({
      stateDir: dir,
      grpc: { port: grpcPort },
      http: { port: httpPort },
      database: {
        ...(databaseUrl
          ? { url: databaseUrl, maxConnections: MAX_CONNECTIONS }
          : { pgliteDir: join(dir, 'db') }),
        ...(options.cacheTtlMs === undefined ? {} : { cacheTtlMs: options.cacheTtlMs }),
      },
      validation: { tickMs: 3_600_000 },
      cas: { grpcAddress: `127.0.0.1:${casGrpcPort}` },
      bootstrap: { organization: 'bench', apiTokenFile: join(dir, 'api-token') },
      log: { level: 'warn' },
    }),
  );
  // The config file names the database; an inherited DATABASE_URL would override it.
  delete process.env.DATABASE_URL;
  // CAIRN_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the control plane under load.
  const nodeArgs = (process.env.CAIRN_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'apps/controlplane/src/main.ts', 'serve', '--config', configFile],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let cas: ChildProcess | undefined;
  try {
    await waitUntilReady(child, `http://127.0.0.1:${httpPort}/readyz`);
    // Started once the control plane has created the secret store's key, which the CAS reads.
    cas = spawn(
      process.execPath,
      [...CAS_NODE_FLAGS, '--import', 'tsx', 'apps/artifact-cas/src/main.ts', '--config', casConfigFile],
      { stdio: ['ignore', 'ignore', 'inherit'], env: withMallocTunables(process.env) as NodeJS.ProcessEnv },
    );
    await waitUntilReady(cas, `http://127.0.0.1:${casHttpPort}/readyz`);
  } catch (error) {
    await Promise.all([stopChild(child), cas === undefined ? undefined : stopChild(cas)]);
    await cleanup(dir, database === 'postgres' ? databaseName : undefined);
    throw error;
  }
  return {
    pid: child.pid ?? 0,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    apiToken: (await readFile(join(dir, 'api-token'), 'utf8')).trim(),
    blobsDir,
    databaseUrl,
    maxConnections: MAX_CONNECTIONS,
    async stop() {
      await Promise.all([stopChild(child), cas === undefined ? undefined : stopChild(cas)]);
      await cleanup(dir, database === 'postgres' ? databaseName : undefined);
    },
  };
}

async function waitUntilReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode} while starting`);
    const ready = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

/** SIGTERM (a clean stop), SIGKILL after 30 s; resolves once the process is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

async function cleanup(dir: string, databaseName: string | undefined): Promise<void> {
  if (databaseName) await psql(`drop database if exists ${databaseName} with (force)`);
  await rm(dir, { recursive: true, force: true });
}

async function psql(statement: string): Promise<void> {
  try {
    await run('psql', [POSTGRES_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-c', statement]);
  } catch (error) {
    throw new Error(
      `psql could not run "${statement}" on ${new URL(POSTGRES_URL).host}; start PostgreSQL with ` +
        '`pg_ctlcluster --skip-systemctl-redirect 15 main start` (or set CAIRN_BENCH_POSTGRES_URL)',
      { cause: error },
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
