import type { Client } from '@grpc/grpc-js';
import { MiB, makePayload, type Payload } from '../data.js';
import { byteStreamClient, grpcRead, grpcWrite } from '../grpc-client.js';
import { httpGet, httpPut } from '../http-client.js';
import { memoryOf, resetPeak } from '../process.js';
import { fastestOf, type Sample, sample } from '../sample.js';
import type { BackendCas, BackendCasLauncher } from './cas-process.js';
import { directDownload, directUpload, openDirectStore } from './direct.js';
import type { BackendTarget } from './targets.js';

export interface BenchSizes {
  /** Blob size of the throughput comparison. */
  readonly bytes: number;
  /** Blob size of the memory measurement. */
  readonly rssBytes: number;
  readonly repeats: number;
}

export interface Transfer {
  readonly upload: Sample;
  readonly download: Sample;
}

export interface BackendFigures {
  readonly target: BackendTarget;
  readonly direct: Transfer;
  readonly grpc: Transfer;
  readonly http: Transfer;
  readonly memory: {
    readonly idle: number;
    /** Peak RSS above idle during the upload, and during the download, of one `rssBytes` blob over gRPC. */
    readonly upload: number;
    readonly download: number;
  };
}

type Progress = (what: string) => void;

type Way = 'direct' | 'grpc' | 'http';

/** One way to move a blob, and the process whose CPU time it costs. */
interface TransferPath {
  readonly pid: number;
  upload(payload: Payload): Promise<unknown>;
  /** Downloads the blob and checks it is the one uploaded. */
  download(blob: Payload): Promise<void>;
}

/**
 * Measures one backend against a fresh CAS process, so every backend's memory figure starts from the
 * same kind of idle: first the memory of one large transfer, then direct vs. CAS throughput.
 */
export async function measureBackend(
  target: BackendTarget,
  launcher: BackendCasLauncher,
  sizes: BenchSizes,
  progress: Progress,
  signal: AbortSignal,
): Promise<BackendFigures> {
  const cas = await launcher.start();
  const client = byteStreamClient(cas.grpcAddress, true);
  const direct = await openDirectStore(target);
  try {
    const tokens = {
      upload: await cas.token('upload', target),
      download: await cas.token('download', target),
    };
    // Loads the provider's SDK in the CAS and builds its driver, which belong to its idle footprint.
    const warmUp = makePayload(MiB);
    await grpcWrite(client, warmUp, tokens.upload);
    checkDigest(warmUp, await grpcRead(client, warmUp.hex, MiB, tokens.download));
    signal.throwIfAborted();

    progress(`${target.kind}: CAS memory over a ${sizes.rssBytes / MiB} MiB upload and download`);
    const memory = await memoryOfTransfer(cas, client, sizes.rssBytes, tokens);
    signal.throwIfAborted();

    const auth = (token: string) => ({ authorization: `Bearer ${token}` });
    const blobUrl = (hex: string) => `${cas.httpUrl}/v1/blobs/sha256:${hex}`;
    const { pid } = cas.process;
    const ways: Record<Way, TransferPath> = {
      direct: {
        pid: process.pid,
        upload: (payload) => directUpload(direct, payload, signal),
        download: async (blob) => {
          const received = await directDownload(direct, blob.hex, signal);
          if (received !== blob.size) throw new Error(`read back ${received} of ${blob.size} bytes`);
        },
      },
      grpc: {
        pid,
        upload: (payload) => grpcWrite(client, payload, tokens.upload),
        download: async (blob) =>
          checkDigest(blob, await grpcRead(client, blob.hex, blob.size, tokens.download)),
      },
      http: {
        pid,
        upload: (payload) => httpPut(blobUrl(payload.hex), payload, auth(tokens.upload)),
        download: async (blob) => checkDigest(blob, await httpGet(blobUrl(blob.hex), auth(tokens.download))),
      },
    };
    const label = `${target.kind}: ${sizes.bytes / MiB} MiB`;
    return {
      target,
      memory,
      ...(await throughput(ways, sizes, (what) => progress(`${label} ${what}`), signal)),
    };
  } finally {
    client.close();
    await direct.close();
    await cas.stop();
  }
}

/**
 * Best-of-`repeats` upload and download rates of each path. The paths take turns, so load from other work on
 * the machine falls on all of them alike; every upload is a fresh blob, and every download reads the first
 * one (the same object on the server for every path).
 */
async function throughput(
  ways: Record<Way, TransferPath>,
  sizes: BenchSizes,
  progress: Progress,
  signal: AbortSignal,
): Promise<Record<Way, Transfer>> {
  const names = Object.keys(ways) as Way[];
  const uploads = new Map<Way, Sample[]>(names.map((way) => [way, []]));
  const downloads = new Map<Way, Sample[]>(names.map((way) => [way, []]));
  let first: Payload | undefined;
  for (let round = 1; round <= sizes.repeats; round++) {
    progress(`uploads, round ${round} of ${sizes.repeats}`);
    for (const way of names) {
      const payload = makePayload(sizes.bytes);
      first ??= payload;
      uploads.get(way)?.push(await sample(ways[way].pid, payload.size, () => ways[way].upload(payload)));
      signal.throwIfAborted();
    }
  }
  const blob = first;
  if (!blob) throw new Error('nothing was uploaded');
  for (let round = 1; round <= sizes.repeats; round++) {
    progress(`downloads, round ${round} of ${sizes.repeats}`);
    for (const way of names) {
      downloads.get(way)?.push(await sample(ways[way].pid, blob.size, () => ways[way].download(blob)));
      signal.throwIfAborted();
    }
  }
  const transfer = (way: Way): Transfer => ({
    upload: fastestOf(uploads.get(way) ?? []),
    download: fastestOf(downloads.get(way) ?? []),
  });
  return { direct: transfer('direct'), grpc: transfer('grpc'), http: transfer('http') };
}

async function memoryOfTransfer(
  cas: BackendCas,
  client: Client,
  size: number,
  tokens: { upload: string; download: string },
): Promise<BackendFigures['memory']> {
  const { pid } = cas.process;
  const payload = makePayload(size);
  const idle = (await memoryOf(pid)).rss;
  await resetPeak(pid);
  await grpcWrite(client, payload, tokens.upload);
  const upload = (await memoryOf(pid)).peak - idle;
  await resetPeak(pid);
  checkDigest(payload, await grpcRead(client, payload.hex, size, tokens.download));
  const download = (await memoryOf(pid)).peak - idle;
  return { idle, upload, download };
}

function checkDigest(payload: Payload, got: { size: number; hex: string }): void {
  if (got.size !== payload.size || got.hex !== payload.hex) {
    throw new Error(
      `read back ${got.size} bytes hashing to ${got.hex}; expected ${payload.size} / ${payload.hex}`,
    );
  }
}
