// npm run bench:cas — the artifact CAS's data path against its ceilings, measured in one run on this machine.
// Every figure is printed beside the ceiling it is compared with; see BENCHMARKS.md for recorded results.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createBlobStore, filesystemProvider } from '@cairn/backends';
import type { Client } from '@grpc/grpc-js';
import { type BenchCas, startBenchCas } from './cas-process.js';
import { GiB, MiB, makePayload, type Payload, seconds, sha256Throughput } from './data.js';
import { byteStreamClient, grpcRead, grpcWrite } from './grpc-client.js';
import { httpGet, httpPut } from './http-client.js';
import { memoryOf, resetPeak, startNodeServer } from './process.js';
import { best, gibPerSecond, mib, printTable, type Row } from './report.js';

const SIZE = Number(process.env.CAIRN_BENCH_BYTES ?? GiB);
const REPEATS = Number(process.env.CAIRN_BENCH_REPEATS ?? 2);
const CONCURRENT_CLIENTS = 64;
// The CAS's blobs go to tmpfs where there is one, so the figures measure the CAS rather than this VM's disk
// (whose write + fsync of 1 GiB runs at ~0.3 GiB/s); the direct BlobStore rows show the storage's own speed.
const BLOB_PARENT = process.env.CAIRN_BENCH_DIR ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const SMALL_UPLOADS = 1024;

const progress = (what: string) => process.stderr.write(`  measuring ${what}\n`);

async function timed(work: () => Promise<unknown>, bytes: number): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return bytes / seconds(started);
}

function checkDigest(payload: Payload, got: { size: number; hex: string }): void {
  if (got.size !== payload.size || got.hex !== payload.hex) {
    throw new Error(
      `read back ${got.size} bytes hashing to ${got.hex}; expected ${payload.size} / ${payload.hex}`,
    );
  }
}

async function grpcCeiling(flags: string[], tuned: boolean, script = 'bench/src/bare/grpc-server.ts') {
  const server = await startNodeServer(script, flags);
  const client = byteStreamClient(`127.0.0.1:${server.firstLine}`, tuned);
  try {
    const payload = makePayload(SIZE);
    const write = await best(REPEATS, () => timed(() => grpcWrite(client, payload), SIZE));
    const read = await best(REPEATS, () => timed(() => grpcRead(client, payload.hex, SIZE), SIZE));
    const uploads = await smallUploads(() => byteStreamClient(`127.0.0.1:${server.firstLine}`, tuned, true));
    return { write, read, uploads };
  } finally {
    client.close();
    await server.stop();
  }
}

async function httpCeiling() {
  const server = await startNodeServer('bench/src/bare/http-server.ts');
  const url = `http://127.0.0.1:${server.firstLine}/blob`;
  try {
    const payload = makePayload(SIZE);
    const put = await best(REPEATS, () => timed(() => httpPut(url, payload), SIZE));
    const get = await best(REPEATS, () => timed(() => httpGet(`${url}?size=${SIZE}`), SIZE));
    return { put, get };
  } finally {
    await server.stop();
  }
}

/** 1 MiB uploads per second with 64 clients, each on its own connection, uploading distinct blobs. */
async function smallUploads(connect: () => Client, token?: () => Promise<string>): Promise<number> {
  const clients = Array.from({ length: CONCURRENT_CLIENTS }, connect);
  const payloads = Array.from({ length: SMALL_UPLOADS }, () => makePayload(MiB));
  const credential = token ? await token() : undefined;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (client) => {
      for (let index = next++; index < payloads.length; index = next++) {
        const payload = payloads[index];
        if (payload) await grpcWrite(client, payload, credential);
      }
    }),
  );
  const rate = SMALL_UPLOADS / seconds(started);
  for (const client of clients) client.close();
  return rate;
}

async function* asyncChunks(payload: Payload): AsyncGenerator<Uint8Array> {
  yield* payload.chunks();
}

/** The same filesystem backend driven in this process with no transport: the storage's own ceiling. */
async function directFigures(cas: BenchCas) {
  const store = createBlobStore(
    await filesystemProvider.createDriver({ location: cas.blobs, credentials: {} }),
  );
  const signal = new AbortController().signal;
  const stored: Payload[] = [];
  const upload = await best(REPEATS, async () => {
    const payload = makePayload(SIZE);
    stored.push(payload);
    return timed(
      () => store.upload(asyncChunks(payload), { hex: payload.hex, size: payload.size }, signal),
      SIZE,
    );
  });
  const first = stored[0];
  if (!first) throw new Error('nothing was uploaded');
  const download = await best(REPEATS, () =>
    timed(async () => {
      const { body } = await store.download(first.hex, { offset: 0 }, signal);
      for await (const _ of body);
    }, SIZE),
  );
  await store.close();
  return { upload, download };
}

async function casFigures(cas: BenchCas) {
  const client = byteStreamClient(cas.grpcAddress, true);
  const idle = (await memoryOf(cas.process.pid)).rss;
  await resetPeak(cas.process.pid);
  try {
    const uploadToken = await cas.token('upload');
    const grpcPayloads: Payload[] = [];
    const write = await best(REPEATS, async () => {
      const payload = makePayload(SIZE);
      grpcPayloads.push(payload);
      return timed(() => grpcWrite(client, payload, uploadToken), SIZE);
    });
    const stored = grpcPayloads[0];
    if (!stored) throw new Error('nothing was uploaded');
    const downloadToken = await cas.token('download');
    const read = await best(REPEATS, () =>
      timed(async () => checkDigest(stored, await grpcRead(client, stored.hex, SIZE, downloadToken)), SIZE),
    );
    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const put = await best(REPEATS, async () => {
      const payload = makePayload(SIZE);
      return timed(
        () => httpPut(`${cas.httpUrl}/v1/blobs/sha256:${payload.hex}`, payload, auth(uploadToken)),
        SIZE,
      );
    });
    const get = await best(REPEATS, () =>
      timed(
        async () =>
          checkDigest(
            stored,
            await httpGet(`${cas.httpUrl}/v1/blobs/sha256:${stored.hex}`, auth(downloadToken)),
          ),
        SIZE,
      ),
    );
    const peak = (await memoryOf(cas.process.pid)).peak;
    const uploads = await smallUploads(
      () => byteStreamClient(cas.grpcAddress, true, true),
      () => cas.token('upload'),
    );
    return { write, read, put, get, idle, peak, uploads };
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:cas — ${mib(SIZE)} blobs, best of ${REPEATS}, ${CONCURRENT_CLIENTS} clients × ${SMALL_UPLOADS} uploads of 1 MiB\n\n`,
  );
  progress('sha256');
  const sha256 = sha256Throughput(SIZE);
  progress('bare HTTP');
  const bareHttp = await httpCeiling();
  progress('bare grpc-js, default windows');
  const grpcDefault = await grpcCeiling(['--default-windows'], false);
  progress('bare grpc-js, tuned windows');
  const grpcTuned = await grpcCeiling([], true);
  progress('bare connect-node, tuned windows');
  const connect = await grpcCeiling([], true, 'bench/src/bare/connect-server.ts');
  const cas = await startBenchCas(BLOB_PARENT);
  let figures: Awaited<ReturnType<typeof casFigures>>;
  let direct: Awaited<ReturnType<typeof directFigures>>;
  try {
    progress('direct BlobStore on the same directory');
    direct = await directFigures(cas);
    progress('artifact CAS');
    figures = await casFigures(cas);
  } finally {
    await cas.stop();
  }
  const ratio = (value: number, ceiling: number, target: number): Pick<Row, 'ratio' | 'target' | 'pass'> => ({
    ratio: value / ceiling,
    target: `≥ ${target}`,
    pass: value / ceiling >= target,
  });
  const rss = figures.peak - figures.idle;
  printTable('Artifact CAS vs. its ceilings', [
    {
      name: 'gRPC write',
      value: gibPerSecond(figures.write),
      ceilingName: 'bare grpc-js, tuned windows',
      ceiling: gibPerSecond(grpcTuned.write),
      ...ratio(figures.write, grpcTuned.write, 0.8),
    },
    {
      name: 'gRPC read',
      value: gibPerSecond(figures.read),
      ceilingName: 'bare grpc-js, tuned windows',
      ceiling: gibPerSecond(grpcTuned.read),
      ...ratio(figures.read, grpcTuned.read, 0.8),
    },
    {
      name: 'HTTP PUT',
      value: gibPerSecond(figures.put),
      ceilingName: 'bare hashing node HTTP',
      ceiling: gibPerSecond(bareHttp.put),
      ...ratio(figures.put, bareHttp.put, 0.8),
    },
    {
      name: 'HTTP GET',
      value: gibPerSecond(figures.get),
      ceilingName: 'bare hashing node HTTP',
      ceiling: gibPerSecond(bareHttp.get),
      ...ratio(figures.get, bareHttp.get, 0.8),
    },
    {
      name: 'gRPC write',
      value: gibPerSecond(figures.write),
      ceilingName: 'direct BlobStore upload, same dir, in process',
      ceiling: gibPerSecond(direct.upload),
      ratio: figures.write / direct.upload,
    },
    {
      name: 'gRPC read',
      value: gibPerSecond(figures.read),
      ceilingName: 'direct BlobStore download, same dir, in process',
      ceiling: gibPerSecond(direct.download),
      ratio: figures.read / direct.download,
    },
    {
      name: '1 MiB uploads/s, 64 clients',
      value: figures.uploads.toFixed(0),
      ceilingName: 'bare grpc-js, tuned windows',
      ceiling: grpcTuned.uploads.toFixed(0),
      ratio: figures.uploads / grpcTuned.uploads,
    },
    {
      name: 'CAS peak RSS above idle',
      value: mib(rss),
      ceilingName: 'idle RSS',
      ceiling: mib(figures.idle),
      target: '≤ 150 MiB',
      pass: rss <= 150 * MiB,
    },
  ]);
  printTable(`Ceilings and transports (blobs under ${BLOB_PARENT})`, [
    { name: 'node sha256', value: gibPerSecond(sha256) },
    {
      name: 'bare grpc-js write, default windows',
      value: gibPerSecond(grpcDefault.write),
      ceilingName: 'tuned',
      ceiling: gibPerSecond(grpcTuned.write),
      ratio: grpcDefault.write / grpcTuned.write,
    },
    {
      name: 'bare grpc-js read, default windows',
      value: gibPerSecond(grpcDefault.read),
      ceilingName: 'tuned',
      ceiling: gibPerSecond(grpcTuned.read),
      ratio: grpcDefault.read / grpcTuned.read,
    },
    {
      name: 'bare connect-node write, tuned windows',
      value: gibPerSecond(connect.write),
      ceilingName: 'bare grpc-js, tuned',
      ceiling: gibPerSecond(grpcTuned.write),
      ratio: connect.write / grpcTuned.write,
    },
    {
      name: 'bare connect-node read, tuned windows',
      value: gibPerSecond(connect.read),
      ceilingName: 'bare grpc-js, tuned',
      ceiling: gibPerSecond(grpcTuned.read),
      ratio: connect.read / grpcTuned.read,
    },
    {
      name: 'bare connect-node 1 MiB uploads/s',
      value: connect.uploads.toFixed(0),
      ceilingName: 'bare grpc-js, tuned',
      ceiling: grpcTuned.uploads.toFixed(0),
      ratio: connect.uploads / grpcTuned.uploads,
    },
    { name: 'bare hashing HTTP PUT', value: gibPerSecond(bareHttp.put) },
    { name: 'bare hashing HTTP GET', value: gibPerSecond(bareHttp.get) },
  ]);
}

await main();
