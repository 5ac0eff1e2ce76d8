// npm run bench:cas — the artifact CAS's data path against its ceilings, measured in one run on this machine.
// Every figure is printed beside the ceiling it is compared with; see BENCHMARKS.md for recorded results.
//
// The CAS and its ceilings (a bare grpc-js ByteStream server and a bare node HTTP server, both hashing only)
// run side by side as processes of their own and take turns, round after round, so a noisy neighbour on
// this shared 2-core VM falls on both alike; each figure is the best of its rounds. Every server first
// moves one untimed blob each way (JIT, heap sizing), as a server that has run for a while would have, and
// every timed transfer starts with a transfer's worth of warm memory free (guest-memory.ts says why).
// The 1 MiB uploads at 64 clients are also measured against a bare grpc-js server that stores durably into
// the CAS's folder (bare/grpc-store-server.ts), the ceiling for work that stores.
//
// Knobs: CAIRN_BENCH_BYTES (blob size, default 1 GiB), CAIRN_BENCH_REPEATS (rounds, default 3),
// CAIRN_BENCH_DIR (where blobs go), CAIRN_BENCH_ONLY=small-uploads (only the 1 MiB uploads, ~1 min).

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBlobStore, FilesystemDriver, filesystemProvider } from '@cairn/backends';
import { rerunWithMallocTunables } from '@cairn/malloc-tunables';
import type { Client } from '@grpc/grpc-js';
import { type BenchCas, startBenchCas } from './cas-process.js';
import { GiB, MiB, makePayload, type Payload, sha256Throughput } from './data.js';
import { byteStreamClient, grpcRead, grpcWrite } from './grpc-client.js';
import { reportedToHostKib, storageCost, warmFreeMemory } from './guest-memory.js';
import { httpDelete, httpGet, httpPut } from './http-client.js';
import { memoryOf, resetPeak, type ServerProcess, startNodeServer } from './process.js';
import { gibPerSecond, mib, printTable, type Row } from './report.js';
import { cpuTimesOf, fastestOf, type Sample, sample } from './sample.js';

const SIZE = Number(process.env.CAIRN_BENCH_BYTES ?? GiB);
const REPEATS = Number(process.env.CAIRN_BENCH_REPEATS ?? 3);
const WARM_UP_BYTES = Math.min(SIZE, 256 * MiB);
const CONCURRENT_CLIENTS = 64;
const SMALL_UPLOADS = 1024;
// The CAS's blobs go to tmpfs where there is one, so the figures measure the CAS rather than this VM's disk
// (whose write + fsync of 1 GiB runs at ~0.3 GiB/s); the direct BlobStore rows show the storage's own speed.
const BLOB_PARENT = process.env.CAIRN_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

const progress = (what: string) => process.stderr.write(`  measuring ${what}\n`);

/** One server under test, as the bench client sees it. */
interface Path {
  readonly pid: number;
  upload(payload: Payload): Promise<void>;
  /** Downloads `stored` and checks the bytes. */
  download(stored: Payload): Promise<void>;
  /** Forgets an uploaded blob, so tmpfs does not grow by a GiB per round (see `discardUpload`). */
  discard(payload: Payload): Promise<void>;
}

interface Figures {
  readonly upload: Sample;
  readonly download: Sample;
}

/**
 * The CAS must send back exactly what was stored. A bare server sends bytes of its own (it stores nothing),
 * so against it only the size is checked; the client hashes what arrives either way.
 */
function checkDigest(payload: Payload, got: { size: number; hex: string }, bare = false): void {
  if (got.size !== payload.size || (!bare && got.hex !== payload.hex)) {
    throw new Error(
      `read back ${got.size} bytes hashing to ${got.hex}; expected ${payload.size} / ${payload.hex}`,
    );
  }
}

function grpcPath(server: { pid: number }, client: Client, token?: () => Promise<string>): Path {
  const bare = token === undefined;
  return {
    pid: server.pid,
    upload: async (payload) => {
      await grpcWrite(client, payload, await token?.());
    },
    download: async (stored) =>
      checkDigest(stored, await grpcRead(client, stored.hex, stored.size, await token?.()), bare),
    discard: async () => {},
  };
}

function httpPath(
  server: { pid: number },
  blobUrl: (payload: Payload) => string,
  token?: () => Promise<string>,
): Path {
  const bare = token === undefined;
  const headers = async (): Promise<Record<string, string>> => {
    const value = await token?.();
    return value ? { authorization: `Bearer ${value}` } : {};
  };
  return {
    pid: server.pid,
    upload: async (payload) => httpPut(blobUrl(payload), payload, await headers()),
    download: async (stored) => checkDigest(stored, await httpGet(blobUrl(stored), await headers()), bare),
    discard: async () => {},
  };
}

/** The bare storing server: the CAS's storage work done the plain way, and its bytes checked as the CAS's are. */
function storingPath(server: ServerProcess): Path {
  const url = (payload: Payload) => `http://127.0.0.1:${server.firstLine}/blobs/${payload.hex}`;
  return {
    pid: server.pid,
    upload: (payload) => httpPut(url(payload), payload),
    download: async (stored) => checkDigest(stored, await httpGet(url(stored))),
    discard: (payload) => httpDelete(url(payload)),
  };
}

/**
 * Removes a measured upload from the CAS's directory. On this VM, memory the guest touches for the first
 * time costs several times more kernel time than memory it reuses (measured: 1.2 s of system time for
 * the first GiB written to tmpfs, 3.5 s by the fourth kept GiB); keeping every upload would charge the CAS
 * for the VM's page allocation, which the ceilings, storing nothing, never pay.
 */
function discardUpload(cas: BenchCas): (payload: Payload) => Promise<void> {
  const layout = new FilesystemDriver(cas.blobs).layout;
  return async (payload) => {
    await rm(layout.blobPath(payload.hex), { force: true });
    await rm(layout.metaPath(payload.hex), { force: true });
  };
}

/**
 * Moves one untimed blob each way on every path, then `REPEATS` rounds in which the paths take turns,
 * uploading a fresh blob each and reading back the first blob each uploaded. Every timed transfer starts
 * on warm memory (see guest-memory.ts).
 */
async function rounds(paths: Record<string, Path>): Promise<Record<string, Figures>> {
  const names = Object.keys(paths);
  const stored = new Map<string, Payload>();
  for (const name of names) {
    const path = paths[name] as Path;
    const warmUp = makePayload(WARM_UP_BYTES);
    await path.upload(warmUp);
    await path.download(warmUp);
    await path.discard(warmUp);
  }
  const uploads = new Map<string, Sample[]>(names.map((name) => [name, []]));
  const downloads = new Map<string, Sample[]>(names.map((name) => [name, []]));
  for (let round = 1; round <= REPEATS; round++) {
    progress(`round ${round} of ${REPEATS}: ${names.join(', ')}`);
    for (const name of names) {
      const path = paths[name] as Path;
      const payload = makePayload(SIZE);
      warmFreeMemory(BLOB_PARENT, SIZE);
      uploads.get(name)?.push(await sample(path.pid, SIZE, () => path.upload(payload)));
      const first = stored.get(name);
      if (first) await path.discard(payload);
      else stored.set(name, payload);
      const blob = stored.get(name) as Payload;
      warmFreeMemory(BLOB_PARENT, SIZE);
      downloads.get(name)?.push(await sample(path.pid, SIZE, () => path.download(blob)));
    }
  }
  return Object.fromEntries(
    names.map((name) => [
      name,
      { upload: fastestOf(uploads.get(name) ?? []), download: fastestOf(downloads.get(name) ?? []) },
    ]),
  );
}

/**
 * 1 MiB uploads per second with 64 clients, each on its own connection, uploading distinct blobs. Every
 * server, storing or not, gets the same warm-up, so the figures differ by the servers alone. `forget`
 * removes what a storing server kept, so tmpfs does not grow by a GiB per measure.
 */
async function smallUploads(
  server: { pid: number },
  connect: () => Client,
  token?: () => Promise<string>,
  forget?: (payload: Payload) => Promise<void>,
): Promise<SmallUploads> {
  const clients = Array.from({ length: CONCURRENT_CLIENTS }, connect);
  const payloads = Array.from({ length: SMALL_UPLOADS }, () => makePayload(MiB));
  const credential = token ? await token() : undefined;
  // The CAS stores what it receives: it starts on warm memory, as the 1 GiB transfers do (guest-memory.ts).
  warmFreeMemory(BLOB_PARENT, SMALL_UPLOADS * MiB);
  let next = 0;
  const clientBefore = await cpuTimesOf(process.pid);
  const measured = await sample(server.pid, SMALL_UPLOADS * MiB, () =>
    Promise.all(
      clients.map(async (client) => {
        for (let index = next++; index < payloads.length; index = next++) {
          const payload = payloads[index];
          if (payload) await grpcWrite(client, payload, credential);
        }
      }),
    ),
  );
  const clientAfter = await cpuTimesOf(process.pid);
  for (const client of clients) client.close();
  if (forget) for (const payload of payloads) await forget(payload);
  const perUpload = (cpuSeconds: number) => (cpuSeconds * 1000) / SMALL_UPLOADS;
  return {
    perSecond: measured.bytesPerSecond / MiB,
    serverMs: perUpload((measured.cpuPerGiB * SMALL_UPLOADS * MiB) / GiB),
    clientMs: perUpload(clientAfter.user + clientAfter.system - clientBefore.user - clientBefore.system),
    busy: measured.machine.busy,
  };
}

/** One server's 1 MiB uploads: the rate, CPU per upload of the server and of the bench client, cores busy. */
interface SmallUploads {
  readonly perSecond: number;
  readonly serverMs: number;
  readonly clientMs: number;
  readonly busy: number;
}

/** 1 MiB uploads of each server, its fastest round: the hash-only ceiling, the storing ceiling and the CAS. */
interface SmallUploadFigures {
  readonly bare: SmallUploads;
  readonly storing: SmallUploads;
  readonly cas: SmallUploads;
}

/**
 * `REPEATS` rounds in which the hash-only bare server, the bare storing server (same folder as the CAS) and
 * the CAS take turns; the fastest round of each. The storing server is started here, on the CAS's folder.
 */
async function smallUploadRounds(bare: ServerProcess, cas: BenchCas): Promise<SmallUploadFigures> {
  const storing = await startNodeServer('bench/src/bare/grpc-store-server.ts', [cas.blobs]);
  const forget = discardUpload(cas);
  const runs: Record<keyof SmallUploadFigures, SmallUploads[]> = { bare: [], storing: [], cas: [] };
  try {
    for (let round = 1; round <= REPEATS; round++) {
      progress(`1 MiB uploads at ${CONCURRENT_CLIENTS} clients, round ${round} of ${REPEATS}`);
      const connect = (address: string) => () => byteStreamClient(address, true, true);
      runs.bare.push(await smallUploads(bare, connect(`127.0.0.1:${bare.firstLine}`)));
      runs.storing.push(
        await smallUploads(storing, connect(`127.0.0.1:${storing.firstLine}`), undefined, forget),
      );
      runs.cas.push(
        await smallUploads(cas.process, connect(cas.grpcAddress), () => cas.token('upload'), forget),
      );
      const line = (Object.keys(runs) as (keyof SmallUploadFigures)[])
        .map((name) => {
          const run = runs[name].at(-1) as SmallUploads;
          return `${name} ${run.perSecond.toFixed(0)}/s (server ${run.serverMs.toFixed(2)} ms, client ${run.clientMs.toFixed(2)} ms per upload, cores ${(run.busy * 100).toFixed(0)}% busy)`;
        })
        .join('; ');
      process.stderr.write(`    ${line}\n`);
    }
  } finally {
    await storing.stop();
  }
  const fastest = (all: SmallUploads[]) =>
    all.reduce((best, next) => (next.perSecond > best.perSecond ? next : best));
  return { bare: fastest(runs.bare), storing: fastest(runs.storing), cas: fastest(runs.cas) };
}

const storingGrpc =
  'bare grpc-js that hashes and stores durably (temp file, fsync, rename, directory fsync), same dir';
const hashOnlyGrpc = 'bare grpc-js, tuned windows, hash only';

function smallUploadRows({ bare, storing, cas }: SmallUploadFigures): Row[] {
  const ratio = cas.perSecond / storing.perSecond;
  return [
    {
      name: '1 MiB uploads/s, 64 clients',
      value: cas.perSecond.toFixed(0),
      ceilingName: storingGrpc,
      ceiling: storing.perSecond.toFixed(0),
      ratio,
      target: '≥ 0.8',
      pass: ratio >= 0.8,
    },
    {
      name: '1 MiB uploads/s, 64 clients',
      value: cas.perSecond.toFixed(0),
      ceilingName: hashOnlyGrpc,
      ceiling: bare.perSecond.toFixed(0),
      ratio: cas.perSecond / bare.perSecond,
    },
  ];
}

/** CPU per 1 MiB upload in each server's fastest round, and the bench client's beside it. */
function smallUploadCpuTable({ bare, storing, cas }: SmallUploadFigures): void {
  const cpu = (run: SmallUploads) => `${run.serverMs.toFixed(2)} ms`;
  const client = (run: SmallUploads) =>
    `${run.clientMs.toFixed(2)} ms (cores ${(run.busy * 100).toFixed(0)}% busy)`;
  printTable(
    'CPU per 1 MiB upload at 64 clients (user + system, all threads), fastest round; the bench client shares the 2 cores',
    [
      {
        name: 'CAS',
        value: cpu(cas),
        ceilingName: storingGrpc,
        ceiling: cpu(storing),
        ratio: cas.serverMs / storing.serverMs,
      },
      {
        name: 'CAS',
        value: cpu(cas),
        ceilingName: hashOnlyGrpc,
        ceiling: cpu(bare),
        ratio: cas.serverMs / bare.serverMs,
      },
      {
        name: 'bench client, against the CAS',
        value: client(cas),
        ceilingName: 'against the storing ceiling',
        ceiling: client(storing),
      },
      {
        name: 'bench client, against the CAS',
        value: client(cas),
        ceilingName: 'against the hash-only ceiling',
        ceiling: client(bare),
      },
    ],
  );
}

/** CAIRN_BENCH_ONLY=small-uploads: only the 1 MiB uploads at 64 clients, against both ceilings. */
async function smallUploadsOnly(): Promise<void> {
  process.stdout.write(
    `bench:cas (small uploads only) — best of ${REPEATS} interleaved rounds, ${CONCURRENT_CLIENTS} clients × ${SMALL_UPLOADS} uploads of 1 MiB; blobs under ${BLOB_PARENT}; every process with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(none)'}\n\n`,
  );
  const cas = await startBenchCas(BLOB_PARENT);
  let figures: SmallUploadFigures;
  try {
    const bareGrpc = await startNodeServer('bench/src/bare/grpc-server.ts');
    try {
      figures = await smallUploadRounds(bareGrpc, cas);
    } finally {
      await bareGrpc.stop();
    }
  } finally {
    await cas.stop();
  }
  printTable('Artifact CAS vs. its ceilings, small uploads', smallUploadRows(figures));
  smallUploadCpuTable(figures);
}

async function* asyncChunks(payload: Payload): AsyncGenerator<Uint8Array> {
  yield* payload.chunks();
}

/** The same filesystem backend driven in this process with no transport: the storage's own ceiling. */
async function directFigures(cas: BenchCas): Promise<Figures> {
  const store = createBlobStore(
    await filesystemProvider.createDriver({ location: cas.blobs, credentials: {} }),
  );
  const signal = new AbortController().signal;
  const discard = discardUpload(cas);
  const path: Path = {
    pid: process.pid,
    upload: async (payload) => {
      await store.upload(asyncChunks(payload), { hex: payload.hex, size: payload.size }, signal);
    },
    download: async (stored) => {
      const { body } = await store.download(stored.hex, { offset: 0 }, signal);
      for await (const _ of body);
    },
    discard,
  };
  try {
    const { direct } = await rounds({ direct: path });
    return direct as Figures;
  } finally {
    await store.close();
  }
}

/** A bare grpc-js ByteStream server measured on its own: for the default-windows and connect-node rows. */
async function transportFigures(
  script: string,
  flags: string[],
  tuned: boolean,
): Promise<Figures & { uploads: number }> {
  const server = await startNodeServer(script, flags);
  const client = byteStreamClient(`127.0.0.1:${server.firstLine}`, tuned);
  try {
    const { bare } = await rounds({ bare: grpcPath(server, client) });
    const { perSecond } = await smallUploads(server, () =>
      byteStreamClient(`127.0.0.1:${server.firstLine}`, tuned, true),
    );
    return { ...(bare as Figures), uploads: perSecond };
  } finally {
    client.close();
    await server.stop();
  }
}

const cpuSeconds = (sample: Sample) =>
  `${sample.cpuPerGiB.toFixed(2)} s (${sample.systemPerGiB.toFixed(2)} s kernel)`;

async function main(): Promise<void> {
  process.stdout.write(
    `bench:cas — ${mib(SIZE)} blobs, best of ${REPEATS} interleaved rounds after a ${mib(WARM_UP_BYTES)} warm-up, ${CONCURRENT_CLIENTS} clients × ${SMALL_UPLOADS} uploads of 1 MiB; every timed transfer after ${mib(SIZE)} of warm memory was freed under ${BLOB_PARENT}; every process with GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? '(none)'}\n\n`,
  );
  const reportedBefore = reportedToHostKib();
  progress('sha256');
  const sha256 = sha256Throughput(SIZE);
  progress(`kernel time of a ${mib(SIZE)} file write on warm and cold memory`);
  const storage = storageCost(BLOB_PARENT, SIZE);

  const started: ServerProcess[] = [];
  const cas = await startBenchCas(BLOB_PARENT);
  const clients: Client[] = [];
  const storeDir = await mkdtemp(join(BLOB_PARENT, 'cairn-bench-store-'));
  let measured: Record<string, Figures>;
  let direct: Figures;
  let storing: Figures;
  let idle: number;
  let peak: number;
  let uploadsPerSecond: SmallUploadFigures;
  try {
    const bareGrpc = await startNodeServer('bench/src/bare/grpc-server.ts');
    started.push(bareGrpc);
    const bareHttp = await startNodeServer('bench/src/bare/http-server.ts');
    started.push(bareHttp);
    const storingHttp = await startNodeServer('bench/src/bare/http-store-server.ts', [storeDir]);
    started.push(storingHttp);
    const bareClient = byteStreamClient(`127.0.0.1:${bareGrpc.firstLine}`, true);
    const casClient = byteStreamClient(cas.grpcAddress, true);
    clients.push(bareClient, casClient);
    const casServer = { pid: cas.process.pid };
    const discard = discardUpload(cas);
    const upload = () => cas.token('upload');
    const download = () => cas.token('download');

    idle = (await memoryOf(cas.process.pid)).rss;
    await resetPeak(cas.process.pid);
    measured = await rounds({
      bareGrpc: grpcPath(bareGrpc, bareClient),
      casGrpc: {
        ...grpcPath(casServer, casClient, upload),
        download: grpcPath(casServer, casClient, download).download,
        discard,
      },
      bareHttp: httpPath(bareHttp, (blob) => `http://127.0.0.1:${bareHttp.firstLine}/blob?size=${blob.size}`),
      casHttp: {
        ...httpPath(casServer, (blob) => `${cas.httpUrl}/v1/blobs/sha256:${blob.hex}`, upload),
        download: httpPath(casServer, (blob) => `${cas.httpUrl}/v1/blobs/sha256:${blob.hex}`, download)
          .download,
        discard,
      },
    });
    peak = (await memoryOf(cas.process.pid)).peak;

    uploadsPerSecond = await smallUploadRounds(bareGrpc, cas);
    progress('direct BlobStore on the same directory');
    direct = await directFigures(cas);
    // A reference, not a ceiling: measured in rounds of its own after the others, like the direct path.
    progress('bare storing HTTP server');
    storing = (await rounds({ storing: storingPath(storingHttp) })).storing as Figures;
  } finally {
    for (const client of clients) client.close();
    for (const server of started) await server.stop();
    await rm(storeDir, { recursive: true, force: true });
    await cas.stop();
  }
  progress('bare grpc-js, default windows');
  const grpcDefault = await transportFigures('bench/src/bare/grpc-server.ts', ['--default-windows'], false);
  progress('bare connect-node, tuned windows');
  const connect = await transportFigures('bench/src/bare/connect-server.ts', [], true);

  const figure = (name: string) => measured[name] as Figures;
  const [bareGrpc, casGrpc, bareHttp, casHttp] = ['bareGrpc', 'casGrpc', 'bareHttp', 'casHttp'].map(
    figure,
  ) as [Figures, Figures, Figures, Figures];
  const ratioRow = (
    name: string,
    value: Sample,
    ceilingName: string,
    ceiling: Sample,
    target?: number,
  ): Row => {
    const ratio = value.bytesPerSecond / ceiling.bytesPerSecond;
    return {
      name,
      value: gibPerSecond(value.bytesPerSecond),
      ceilingName,
      ceiling: gibPerSecond(ceiling.bytesPerSecond),
      ratio,
      ...(target === undefined ? {} : { target: `≥ ${target}`, pass: ratio >= target }),
    };
  };
  const cpuRow = (name: string, value: Sample, ceilingName: string, ceiling: Sample): Row => ({
    name,
    value: cpuSeconds(value),
    ceilingName,
    ceiling: cpuSeconds(ceiling),
    ratio: value.cpuPerGiB / ceiling.cpuPerGiB,
  });
  const tunedGrpc = 'bare grpc-js, tuned windows';
  const hashingHttp = 'bare hashing node HTTP';
  const plainStore = 'bare node HTTP that hashes and stores (pipeline to a file), same dir';
  const rss = peak - idle;
  printTable('Artifact CAS vs. its ceilings', [
    ratioRow('gRPC write', casGrpc.upload, tunedGrpc, bareGrpc.upload, 0.8),
    ratioRow('gRPC read', casGrpc.download, tunedGrpc, bareGrpc.download, 0.8),
    ratioRow('HTTP PUT', casHttp.upload, hashingHttp, bareHttp.upload, 0.8),
    ratioRow('HTTP GET', casHttp.download, hashingHttp, bareHttp.download, 0.8),
    ratioRow('gRPC write', casGrpc.upload, 'direct BlobStore upload, same dir, in process', direct.upload),
    ratioRow(
      'gRPC read',
      casGrpc.download,
      'direct BlobStore download, same dir, in process',
      direct.download,
    ),
    ratioRow('HTTP PUT', casHttp.upload, plainStore, storing.upload),
    ratioRow('HTTP GET', casHttp.download, plainStore, storing.download),
    ...smallUploadRows(uploadsPerSecond),
    {
      name: 'CAS peak RSS above idle',
      value: mib(rss),
      ceilingName: 'idle RSS',
      ceiling: mib(idle),
      target: '≤ 150 MiB',
      pass: rss <= 150 * MiB,
    },
  ]);
  smallUploadCpuTable(uploadsPerSecond);
  printTable(
    'Server CPU per GiB moved (user + system, all threads; the kernel part in brackets), in the fastest round',
    [
      cpuRow('CAS, gRPC write', casGrpc.upload, tunedGrpc, bareGrpc.upload),
      cpuRow('CAS, gRPC read', casGrpc.download, tunedGrpc, bareGrpc.download),
      cpuRow('CAS, HTTP PUT', casHttp.upload, hashingHttp, bareHttp.upload),
      cpuRow('CAS, HTTP GET', casHttp.download, hashingHttp, bareHttp.download),
      cpuRow('CAS, HTTP PUT', casHttp.upload, plainStore, storing.upload),
      cpuRow('CAS, HTTP GET', casHttp.download, plainStore, storing.download),
    ],
  );
  printTable(`Ceilings and transports (blobs under ${BLOB_PARENT})`, [
    { name: 'node sha256', value: gibPerSecond(sha256) },
    {
      name: `kernel time to write ${mib(SIZE)} to a new file, on memory just freed (what every timed transfer gets)`,
      value: `${storage.warm.toFixed(2)} s`,
      ceilingName: 'on memory the guest has not touched lately',
      ceiling: `${storage.cold.toFixed(2)} s`,
    },
    ratioRow('bare grpc-js write, default windows', grpcDefault.upload, 'tuned', bareGrpc.upload),
    ratioRow('bare grpc-js read, default windows', grpcDefault.download, 'tuned', bareGrpc.download),
    ratioRow(
      'bare connect-node write, tuned windows',
      connect.upload,
      'bare grpc-js, tuned',
      bareGrpc.upload,
    ),
    ratioRow(
      'bare connect-node read, tuned windows',
      connect.download,
      'bare grpc-js, tuned',
      bareGrpc.download,
    ),
    {
      name: 'bare connect-node 1 MiB uploads/s',
      value: connect.uploads.toFixed(0),
      ceilingName: 'bare grpc-js, tuned',
      ceiling: uploadsPerSecond.bare.perSecond.toFixed(0),
      ratio: connect.uploads / uploadsPerSecond.bare.perSecond,
    },
    { name: 'bare hashing HTTP PUT', value: gibPerSecond(bareHttp.upload.bytesPerSecond) },
    { name: 'bare hashing HTTP GET', value: gibPerSecond(bareHttp.download.bytesPerSecond) },
  ]);
  const reportedAfter = reportedToHostKib();
  if (reportedBefore !== undefined && reportedAfter !== undefined) {
    process.stdout.write(
      `Memory this VM handed back to its host during the run: ${mib((reportedAfter - reportedBefore) * 1024)}.\n`,
    );
  }
}

await rerunWithMallocTunables();
if (process.env.CAIRN_BENCH_ONLY === 'small-uploads') await smallUploadsOnly();
else await main();
