// npm run bench:controlplane — the control plane's hot unary calls under 32 concurrent clients: CAS token
// minting (CASCredentialsService.Get) and backend listing (CASBackendService.List), on PostgreSQL and on
// PGlite. The control plane runs as its own process; this process only drives the clients.
import { cpus, loadavg } from 'node:os';
import { create } from '@bufbuild/protobuf';
import {
  CASBackendServiceCreateRequestSchema,
  CASBackendServiceListRequestSchema,
  CASCredentialsServiceGetRequestSchema,
  CASRole,
  casBackendService,
  casCredentialsService,
} from '@cairn/api';
import { Metadata } from '@grpc/grpc-js';
import { benchClients, type LoadResult, measureUnary } from './controlplane/load.js';
import { type BenchDatabase, startBenchControlPlane } from './controlplane/server.js';
import { printResults, type ResultRow } from './controlplane/table.js';

const CLIENTS = Number(process.env.CAIRN_BENCH_CLIENTS ?? 32);
const SECONDS = Number(process.env.CAIRN_BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const DATABASES: readonly BenchDatabase[] = ['postgres', 'pglite'];

const progress = (what: string) => process.stderr.write(`  ${what}\n`);

async function benchDatabase(database: BenchDatabase): Promise<ResultRow[]> {
  progress(`starting the control plane on ${database}`);
  const cp = await startBenchControlPlane(database);
  const clients = benchClients(cp.grpcAddress, CLIENTS);
  try {
    // Upload tokens need a CAS backend as the default (the inline one has no CAS tokens).
    const [first] = clients;
    if (!first) throw new Error('no clients');
    await new Promise((resolve, reject) => {
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${cp.apiToken}`);
      first.makeUnaryRequest(
        casBackendService.create.path,
        casBackendService.create.requestSerialize,
        casBackendService.create.responseDeserialize,
        create(CASBackendServiceCreateRequestSchema, {
          name: 'bench',
          provider: 'filesystem',
          location: cp.blobsDir,
          isDefault: true,
        }),
        metadata,
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
    const measures: Array<[string, () => Promise<LoadResult>]> = [
      [
        'CASCredentialsService.Get (upload token)',
        () =>
          measureUnary(
            clients,
            casCredentialsService.get,
            create(CASCredentialsServiceGetRequestSchema, { role: CASRole.CAS_ROLE_UPLOAD }),
            cp.apiToken,
            SECONDS,
            WARMUP_SECONDS,
          ),
      ],
      [
        'CASBackendService.List',
        () =>
          measureUnary(
            clients,
            casBackendService.list,
            create(CASBackendServiceListRequestSchema),
            cp.apiToken,
            SECONDS,
            WARMUP_SECONDS,
          ),
      ],
    ];
    const rows: ResultRow[] = [];
    for (const [call, measure] of measures) {
      progress(`measuring ${call} on ${database}`);
      const [load = 0] = loadavg();
      const result = await measure();
      if (result.errors > 0) progress(`${result.errors} calls failed, first: ${result.firstError ?? '?'}`);
      rows.push({ database, call, result, load });
    }
    return rows;
  } finally {
    for (const client of clients) client.close();
    await cp.stop();
  }
}

const rows: ResultRow[] = [];
for (const database of DATABASES) rows.push(...(await benchDatabase(database)));
printResults(`Control plane: token minting and backend listing (${cpus().length} cores)`, CLIENTS, rows);
