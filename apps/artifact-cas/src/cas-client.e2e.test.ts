import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CasClient, createCasClient, type Progress, type RetryEvent } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { status as grpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GrpcTestClient,
  startTamperingCas,
  startTcpProxy,
  startTestCas,
  type TestCas,
} from './testing/index.js';

const MiB = 1024 * 1024;

let cas: TestCas;
let dir: string;
let bigFile: string;
let bigBytes: Buffer;
let bigDigest: string;

beforeAll(async () => {
  cas = await startTestCas();
  dir = await mkdtemp(join(tmpdir(), 'cairn-client-e2e-'));
  bigBytes = randomBytes(12 * MiB + 12_345);
  bigDigest = sha256(bigBytes);
  bigFile = join(dir, 'evidence.bin');
  await writeFile(bigFile, bigBytes);
});

afterAll(async () => {
  await cas?.close();
  await rm(dir, { recursive: true, force: true });
});

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function clientFor(
  options: { address?: string; digest?: string; role?: 'upload' | 'download' } = {},
): CasClient {
  return createCasClient({
    address: options.address ?? cas.grpcAddress,
    token: () =>
      cas.mint(options.role ?? 'upload', options.digest === undefined ? {} : { digest: options.digest }),
    // Quick, but with room (about 2 s in all) for the CAS to notice a cut connection and let its Write go
    // on a loaded machine; until then a resumed Write is refused as busy.
    retry: { maxAttempts: 8, initialDelayMs: 20, maxDelayMs: 500 },
  });
}

/** Adds 1 MiB to the upload `name` where the CAS says it stands; waits out the Write that still feeds it. */
async function moveOn(direct: GrpcTestClient, token: string, name: string, bytes: Buffer): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const at = Number((await direct.queryWriteStatus(token, name)).committedSize);
    try {
      await direct.write(token, name, bytes.subarray(0, at + MiB), { offset: at, finish: false });
      return at + MiB;
    } catch (error) {
      if ((error as { code?: unknown }).code !== grpcStatus.ABORTED) throw error;
      await sleep(20);
    }
  }
  throw new Error(`the upload ${name} stayed busy for 200 tries`);
}

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof CairnError)) throw new Error(`expected a CairnError, got ${String(error)}`);
  return error;
}

async function uploadFresh(bytes: Buffer, name: string): Promise<{ path: string; digest: string }> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const uploader = clientFor();
  try {
    const { digest } = await uploader.upload(path);
    return { path, digest };
  } finally {
    uploader.close();
  }
}

describe('upload and download through a real CAS', () => {
  it('round-trips a multi-MiB file, reporting progress and recording its name', async () => {
    const uploader = clientFor();
    const progress: Progress[] = [];
    const result = await uploader.upload(bigFile, { onProgress: (update) => progress.push(update) });
    uploader.close();
    expect(result).toEqual({ digest: bigDigest, size: bigBytes.length, existed: false });
    expect(progress.find((p) => p.phase === 'hashing' && p.bytes === bigBytes.length)).toBeDefined();
    expect(progress.at(-1)).toEqual({ phase: 'uploading', bytes: bigBytes.length, total: bigBytes.length });

    const downloader = clientFor({ role: 'download', digest: bigDigest });
    try {
      expect(await downloader.describe(bigDigest)).toMatchObject({
        size: bigBytes.length,
        fileName: 'evidence.bin',
      });
      const target = join(dir, 'round-trip.bin');
      const downloaded = await downloader.download(bigDigest, target);
      expect(downloaded).toEqual({
        digest: bigDigest,
        size: bigBytes.length,
        bytes: bigBytes.length,
        verified: true,
      });
      expect(sha256(await readFile(target))).toBe(bigDigest);
    } finally {
      downloader.close();
    }
  });

  it('sends no bytes for a blob the CAS already holds', async () => {
    await uploadFresh(bigBytes, 'again.bin');
    const proxy = await startTcpProxy(cas.grpcAddress);
    const client = clientFor({ address: proxy.address });
    try {
      const result = await client.upload(bigFile);
      expect(result).toEqual({ digest: bigDigest, size: bigBytes.length, existed: true });
      expect(proxy.bytesUp()).toBeLessThan(64 * 1024);
      expect(await client.findMissing([bigDigest, sha256(Buffer.from('never stored'))])).toEqual([
        sha256(Buffer.from('never stored')),
      ]);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it('uploads a stream of known digest and size, and an empty blob', async () => {
    const client = clientFor();
    try {
      const bytes = randomBytes(2 * MiB + 3);
      async function* pieces() {
        for (let at = 0; at < bytes.length; at += 100_000) yield bytes.subarray(at, at + 100_000);
      }
      const streamed = await client.upload({ digest: sha256(bytes), size: bytes.length, data: pieces() });
      expect(streamed).toEqual({ digest: sha256(bytes), size: bytes.length, existed: false });
      const empty = Buffer.alloc(0);
      async function* nothing() {}
      expect(await client.upload({ digest: sha256(empty), size: 0, data: nothing() })).toMatchObject({
        size: 0,
      });
    } finally {
      client.close();
    }
    const emptyDigest = sha256(Buffer.alloc(0));
    const downloader = clientFor({ role: 'download', digest: emptyDigest });
    try {
      const target = join(dir, 'empty.bin');
      await downloader.download(emptyDigest, target);
      expect((await readFile(target)).length).toBe(0);
    } finally {
      downloader.close();
    }
  });

  it("refuses data that does not match its declared digest, with the server's reason", async () => {
    const client = clientFor();
    try {
      const bytes = randomBytes(1000);
      async function* once() {
        yield bytes;
      }
      const wrongDigest = sha256(Buffer.from('something else'));
      const error = await failure(client.upload({ digest: wrongDigest, size: bytes.length, data: once() }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.message).toMatch(/digest|sha256/i);
      expect(await client.findMissing([wrongDigest])).toEqual([wrongDigest]);
    } finally {
      client.close();
    }
  });
});

describe('resuming interrupted transfers', () => {
  it('resumes an upload whose connection dropped from where the CAS stopped', async () => {
    const bytes = randomBytes(16 * MiB);
    const path = join(dir, 'resumed-upload.bin');
    await writeFile(path, bytes);
    const proxy = await startTcpProxy(cas.grpcAddress, { cutOnceAfterUpBytes: 5 * MiB });
    const client = clientFor({ address: proxy.address });
    const retries: RetryEvent[] = [];
    try {
      const result = await client.upload(path, { onRetry: (event) => retries.push(event) });
      expect(result).toEqual({ digest: sha256(bytes), size: bytes.length, existed: false });
    } finally {
      client.close();
      await proxy.close();
    }
    expect(proxy.cut()).toBe(true);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.some((retry) => retry.offset > 0)).toBe(true);
    expect(retries[0]?.error.code).toBe(Code.Unavailable);
    expect(proxy.bytesUp()).toBeLessThan(bytes.length * 2);

    const downloader = clientFor({ role: 'download', digest: sha256(bytes) });
    try {
      const sink = new PassThrough();
      const received: Buffer[] = [];
      sink.on('data', (chunk: Buffer) => received.push(chunk));
      await downloader.download(sha256(bytes), sink);
      expect(sha256(Buffer.concat(received))).toBe(sha256(bytes));
    } finally {
      downloader.close();
    }
  });

  it('resumes from where the CAS got to when the upload moved on after QueryWriteStatus answered', async () => {
    // The dropped Write can still hand the CAS bytes it received before the drop after the client's
    // QueryWriteStatus was answered. The test plays that part itself: between the status and the resumed
    // Write (which the proxy holds back) it adds 1 MiB to the upload, directly on the CAS.
    const bytes = randomBytes(16 * MiB);
    const path = join(dir, 'moved-on-upload.bin');
    await writeFile(path, bytes);
    let sent = '';
    let name: string | undefined;
    const proxy = await startTcpProxy(cas.grpcAddress, {
      cutOnceAfterUpBytes: 5 * MiB,
      onUp: (chunk) => {
        if (name !== undefined) return;
        sent = (sent + chunk.toString('latin1')).slice(-64 * 1024);
        name = /uploads\/[0-9a-f-]{36}\/blobs\/[0-9a-f]{64}\/\d+/.exec(sent)?.[0];
      },
    });
    const direct = new GrpcTestClient(cas.grpcAddress);
    const token = await cas.mint('upload');
    const client = clientFor({ address: proxy.address });
    const retries: RetryEvent[] = [];
    let movedTo: Promise<number> | undefined;
    try {
      const result = await client.upload(path, {
        onRetry: (event) => {
          retries.push(event);
          if (movedTo !== undefined || name === undefined) return;
          const release = proxy.hold();
          movedTo = moveOn(direct, token, name, bytes).finally(release);
        },
      });
      expect(result).toEqual({ digest: sha256(bytes), size: bytes.length, existed: false });
    } finally {
      client.close();
      direct.close();
      await proxy.close();
    }
    expect(movedTo).toBeDefined();
    expect(await movedTo).toBeGreaterThan(retries[0]?.offset ?? Number.POSITIVE_INFINITY);
    expect(retries).toHaveLength(1);
    const downloader = clientFor({ role: 'download', digest: sha256(bytes) });
    try {
      const target = join(dir, 'moved-on-download.bin');
      expect((await downloader.download(sha256(bytes), target)).verified).toBe(true);
      expect(sha256(await readFile(target))).toBe(sha256(bytes));
    } finally {
      downloader.close();
    }
  });

  it('resumes a download whose connection dropped, hashing the prefix it already has', async () => {
    const proxy = await startTcpProxy(cas.grpcAddress, { cutOnceAfterDownBytes: 4 * MiB });
    const client = clientFor({ address: proxy.address, role: 'download', digest: bigDigest });
    const retries: RetryEvent[] = [];
    const target = join(dir, 'resumed-download.bin');
    try {
      const result = await client.download(bigDigest, target, { onRetry: (event) => retries.push(event) });
      expect(result.verified).toBe(true);
    } finally {
      client.close();
      await proxy.close();
    }
    expect(proxy.cut()).toBe(true);
    expect(retries.some((retry) => retry.offset > 0)).toBe(true);
    expect(proxy.bytesDown()).toBeLessThan(bigBytes.length * 2);
    expect(sha256(await readFile(target))).toBe(bigDigest);
  });
});

describe('downloads', () => {
  it('streams to a writable and reads from an offset when asked', async () => {
    const client = clientFor({ role: 'download', digest: bigDigest });
    try {
      const sink = new PassThrough();
      const received: Buffer[] = [];
      sink.on('data', (chunk: Buffer) => received.push(chunk));
      const offset = 5 * MiB + 7;
      const result = await client.download(bigDigest, sink, { offset });
      expect(result).toMatchObject({ bytes: bigBytes.length - offset, verified: false });
      expect(Buffer.concat(received).equals(bigBytes.subarray(offset))).toBe(true);
      const pathWithOffset = await failure(client.download(bigDigest, join(dir, 'x'), { offset: 1 }));
      expect(pathWithOffset.code).toBe(Code.InvalidArgument);
    } finally {
      client.close();
    }
  });

  it('leaves no file when the bytes do not match the digest', async () => {
    const tampering = await startTamperingCas(cas.grpcAddress, 3 * MiB + 1);
    const client = clientFor({ address: tampering.address, role: 'download', digest: bigDigest });
    const folder = await mkdtemp(join(dir, 'tampered-'));
    try {
      const error = await failure(client.download(bigDigest, join(folder, 'out.bin')));
      expect(error.code).toBe(Code.DataLoss);
      expect(error.message).toContain(`not ${bigDigest}; nothing was saved`);
      expect(await readdir(folder)).toEqual([]);

      const sink = new PassThrough();
      sink.resume();
      const streamed = await failure(client.download(bigDigest, sink));
      expect(streamed.code).toBe(Code.DataLoss);
      expect(streamed.message).toContain('discard what was written');
    } finally {
      client.close();
      await tampering.close();
    }
  });

  it('reports a blob the CAS does not hold as NOT_FOUND and writes nothing', async () => {
    const missing = sha256(Buffer.from('not stored anywhere'));
    const client = clientFor({ role: 'download', digest: missing });
    const folder = await mkdtemp(join(dir, 'missing-'));
    try {
      const error = await failure(client.download(missing, join(folder, 'out.bin')));
      expect(error.code).toBe(Code.NotFound);
      expect(await readdir(folder)).toEqual([]);
    } finally {
      client.close();
    }
  });
});

describe('errors', () => {
  it("keeps the CAS's reason for a token it refuses", async () => {
    const garbage = createCasClient({ address: cas.grpcAddress, token: 'not-a-token' });
    try {
      const error = await failure(garbage.upload(bigFile));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.message).not.toContain('not-a-token');
    } finally {
      garbage.close();
    }
    const wrongRole = clientFor({ role: 'download', digest: bigDigest });
    try {
      const one = Buffer.from('x');
      async function* data() {
        yield one;
      }
      const error = await failure(wrongRole.upload({ digest: sha256(one), size: 1, data: data() }));
      expect(error.code).toBe(Code.PermissionDenied);
    } finally {
      wrongRole.close();
    }
  });

  it('says which address it cannot reach', async () => {
    const proxy = await startTcpProxy(cas.grpcAddress);
    const deadAddress = proxy.address;
    await proxy.close();
    const client = createCasClient({
      address: deadAddress,
      token: 't',
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10 },
    });
    try {
      const error = await failure(client.findMissing([bigDigest]));
      expect(error.code).toBe(Code.Unavailable);
      expect(error.message).toContain(`cannot reach the CAS at ${deadAddress}`);
    } finally {
      client.close();
    }
  });

  it('stops an upload when its signal aborts', async () => {
    const bytes = randomBytes(8 * MiB);
    const path = join(dir, 'aborted.bin');
    await writeFile(path, bytes);
    const client = clientFor();
    const controller = new AbortController();
    try {
      const error = await failure(
        client.upload(path, {
          signal: controller.signal,
          onProgress: (progress) => {
            if (progress.phase === 'uploading' && progress.bytes >= 2 * MiB) controller.abort();
          },
        }),
      );
      expect(error.code).toBe(Code.Canceled);
      expect(await client.findMissing([sha256(bytes)])).toEqual([sha256(bytes)]);
    } finally {
      client.close();
    }
  });

  it('asks the token function for a fresh token on every call', async () => {
    let calls = 0;
    const client = createCasClient({
      address: cas.grpcAddress,
      token: () => {
        calls++;
        return cas.mint('upload');
      },
    });
    try {
      await client.findMissing([bigDigest]);
      await client.findMissing([bigDigest]);
      expect(calls).toBe(2);
    } finally {
      client.close();
    }
  });
});
