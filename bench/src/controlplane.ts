// npm run bench:controlplane — the control plane's hot unary calls under 32 concurrent clients: CAS token
// minting (CASCredentialsService.Get) and backend listing (CASBackendService.List), on PostgreSQL and on
// PGlite, each beside ceilings measured in the same run: a bare grpc-js unary server answering the same
// reply bytes to the same clients, and on PostgreSQL the rate of the queries an uncached Get makes. Every
// row also says where the machine's CPU went per call and the rate the two shared cores allow at that
// cost. The control plane runs as its own process; this process only drives the clients.
//
// Knobs: CAIRN_BENCH_CLIENTS (32), CAIRN_BENCH_SECONDS (10), CAIRN_BENCH_DATABASES (postgres,pglite),
// CAIRN_BENCH_NODE_ARGS (node flags of the control plane, e.g. "--cpu-prof --cpu-prof-dir=DIR").
import { availableParallelism, loadavg } from 'node:os';
import { create } from '@bufbuild/protobuf';
import {
  CASBackendServiceCreateRequestSchema,
  CASBackendServiceListRequestSchema,
  CASCredentialsServiceGetRequestSchema,
  CASRole,
  casBackendService,
  casCredentialsService,
} from '@cairn/api';
import { type Client, Metadata, type MethodDefinition } from '@grpc/grpc-js';
import {
  benchClients,
  type LoadOptions,
  type LoadResult,
  measureUnary,
  unaryCall,
} from './controlplane/load.js';
import { measurePostgresQueries } from './controlplane/postgres-ceiling.js';
import { type BenchControlPlane, type BenchDatabase, startBenchControlPlane } from './controlplane/server.js';
import { printResults, type ResultRow } from './controlplane/table.js';
import { startNodeServer } from './process.js';

const CLIENTS = Number(process.env.CAIRN_BENCH_CLIENTS ?? 32);
const SECONDS = Number(process.env.CAIRN_BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const CORES = availableParallelism();
const DATABASES = databases(process.env.CAIRN_BENCH_DATABASES ?? 'postgres,pglite');
const GET = 'CASCredentialsService.Get (upload token)';
/**
 * The target's rate (issue 14: ≥ 2,000/s with p99 < 20 ms), offered on a schedule: back to back, 32
 * callers queue behind each other on two cores and the p99 measures the queue (the bare server's too), so
 * the latency at the target rate is measured on its own. CAIRN_BENCH_RATE changes it.
 */
const OFFERED_RATE = Number(process.env.CAIRN_BENCH_RATE ?? 2000);

function databases(list: string): BenchDatabase[] {
  return list.split(',').map((name) => {
    if (name !== 'postgres' && name !== 'pglite') {
      throw new Error(`CAIRN_BENCH_DATABASES: "${name}" is not postgres or pglite`);
    }
    return name;
  });
}

const progress = (what: string) => process.stderr.write(`  ${what}\n`);
const loadOptions = (serverPid?: number, ratePerSecond?: number): LoadOptions => ({
  seconds: SECONDS,
  warmupSeconds: WARMUP_SECONDS,
  cores: CORES,
  ...(serverPid === undefined ? {} : { serverPid }),
  ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
});

function withToken(apiToken: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${apiToken}`);
  return metadata;
}

async function measure(
  label: string,
  run: () => Promise<LoadResult>,
): Promise<{ result: LoadResult; load: number }> {
  progress(`measuring ${label}`);
  const [load = 0] = loadavg();
  const result = await run();
  if (result.errors > 0) progress(`${result.errors} calls failed, first: ${result.firstError ?? '?'}`);
  return { result, load };
}

/** The same reply bytes from a bare grpc-js server, to the same number of clients, on the same method path. */
async function bareCeiling(
  method: MethodDefinition<unknown, unknown>,
  reply: Buffer,
  request: unknown,
  apiToken: string,
  ratePerSecond?: number,
) {
  const server = await startNodeServer('bench/src/bare/unary-server.ts', [
    method.path,
    reply.toString('base64'),
  ]);
  const clients = benchClients(`127.0.0.1:${server.firstLine.trim()}`, CLIENTS);
  try {
    const rate = ratePerSecond === undefined ? '' : ` at ${ratePerSecond}/s`;
    return await measure(`a bare grpc-js unary server (${reply.byteLength}-byte reply)${rate}`, () =>
      measureUnary(clients, method, request, apiToken, loadOptions(server.pid, ratePerSecond)),
    );
  } finally {
    for (const client of clients) client.close();
    await server.stop();
  }
}

async function addDefaultBackend(cp: BenchControlPlane, client: Client): Promise<void> {
  // Upload tokens need a CAS backend as the default (the inline one has no CAS tokens).
  await unaryCall(
    client,
    casBackendService.create,
    create(CASBackendServiceCreateRequestSchema, {
      name: 'bench',
      provider: 'filesystem',
      location: cp.blobsDir,
      isDefault: true,
    }),
    withToken(cp.apiToken),
  );
}

async function withControlPlane<T>(
  database: BenchDatabase,
  options: { cacheTtlMs?: number },
  work: (cp: BenchControlPlane, clients: Client[]) => Promise<T>,
): Promise<T> {
  progress(
    `starting the control plane on ${database}${options.cacheTtlMs === 0 ? ' without its read cache' : ''}`,
  );
  const cp = await startBenchControlPlane(database, options);
  const clients = benchClients(cp.grpcAddress, CLIENTS);
  try {
    const [first] = clients;
    if (!first) throw new Error('no clients');
    await addDefaultBackend(cp, first);
    return await work(cp, clients);
  } finally {
    for (const client of clients) client.close();
    await cp.stop();
  }
}

async function benchDatabase(database: BenchDatabase): Promise<ResultRow[]> {
  const getRequest = create(CASCredentialsServiceGetRequestSchema, { role: CASRole.CAS_ROLE_UPLOAD });
  const listRequest = create(CASBackendServiceListRequestSchema);
  const rows: ResultRow[] = [];
  await withControlPlane(database, {}, async (cp, clients) => {
    const [first] = clients;
    if (!first) throw new Error('no clients');
    const getReply = casCredentialsService.get.responseSerialize(
      await unaryCall(first, casCredentialsService.get, getRequest, withToken(cp.apiToken)),
    );
    const listReply = casBackendService.list.responseSerialize(
      await unaryCall(first, casBackendService.list, listRequest, withToken(cp.apiToken)),
    );
    const get = await measure(`${GET} on ${database}`, () =>
      measureUnary(clients, casCredentialsService.get, getRequest, cp.apiToken, loadOptions(cp.pid)),
    );
    const getBare = await bareCeiling(
      casCredentialsService.get as MethodDefinition<unknown, unknown>,
      getReply,
      getRequest,
      cp.apiToken,
    );
    rows.push({ database, call: GET, ...get, ceiling: { name: 'bare grpc-js unary', ...getBare } });
    const paced = await measure(`${GET} on ${database} at ${OFFERED_RATE}/s`, () =>
      measureUnary(
        clients,
        casCredentialsService.get,
        getRequest,
        cp.apiToken,
        loadOptions(cp.pid, OFFERED_RATE),
      ),
    );
    const pacedBare = await bareCeiling(
      casCredentialsService.get as MethodDefinition<unknown, unknown>,
      getReply,
      getRequest,
      cp.apiToken,
      OFFERED_RATE,
    );
    rows.push({
      database,
      call: `${GET}, ${OFFERED_RATE}/s offered`,
      ...paced,
      ceiling: { name: `bare grpc-js unary, ${OFFERED_RATE}/s offered`, ...pacedBare },
    });
    if (cp.databaseUrl !== undefined) {
      const url = cp.databaseUrl;
      const queries = await measure(`the queries of an uncached Get on ${database}`, () =>
        measurePostgresQueries(url, cp.apiToken, CLIENTS, cp.maxConnections, loadOptions()),
      );
      rows.push({
        database,
        call: `${GET}: its 2 queries (token, default backend), ${cp.maxConnections} connections`,
        ...queries,
      });
    }
    const list = await measure(`CASBackendService.List on ${database}`, () =>
      measureUnary(clients, casBackendService.list, listRequest, cp.apiToken, loadOptions(cp.pid)),
    );
    const listBare = await bareCeiling(
      casBackendService.list as MethodDefinition<unknown, unknown>,
      listReply,
      listRequest,
      cp.apiToken,
    );
    rows.push({
      database,
      call: 'CASBackendService.List',
      ...list,
      ceiling: { name: 'bare grpc-js unary', ...listBare },
    });
  });
  if (database === 'postgres') {
    // The same call with every lookup going to the database, as before the read cache.
    await withControlPlane(database, { cacheTtlMs: 0 }, async (cp, clients) => {
      const uncached = await measure(`${GET} on ${database}, read cache off`, () =>
        measureUnary(clients, casCredentialsService.get, getRequest, cp.apiToken, loadOptions(cp.pid)),
      );
      rows.push({ database, call: `${GET}, database.cacheTtlMs 0`, ...uncached });
    });
  }
  return rows;
}

const rows: ResultRow[] = [];
for (const database of DATABASES) rows.push(...(await benchDatabase(database)));
printResults(`Control plane: token minting and backend listing (${CORES} cores)`, CLIENTS, rows);
