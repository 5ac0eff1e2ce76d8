import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { publicJwks } from '@cairn/cas-token';
import { silentLogger } from '@cairn/observability';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningArtifactCas, startArtifactCas } from './app/start.js';
import {
  AUDIENCE,
  blobOf,
  bytesOf,
  downloadName,
  ISSUER,
  startTestCas,
  type TestCas,
  uploadName,
} from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';
import { GrpcTestClient } from './testing/grpc-test-client.js';

// Two CAS processes' worth of servers over one filesystem folder, as replicas on shared storage are: an
// upload interrupted on one continues on the other from the bytes staged there.

let a: TestCas;
let b: { cas: RunningArtifactCas; grpc: GrpcTestClient };

beforeEach(async () => {
  a = await startTestCas({ shutdownGraceMs: 300 });
  const cas = await startArtifactCas(
    {
      grpc: { port: 0 },
      http: { port: 0 },
      tokens: { issuer: ISSUER, audience: AUDIENCE, jwks: publicJwks(a.key) },
      backends: { filesystemRoots: [a.root] },
    },
    { logger: silentLogger },
  );
  b = { cas, grpc: new GrpcTestClient(cas.grpcAddress) };
});

afterEach(async () => {
  b.grpc.close();
  await b.cas.close();
  await a.close();
});

async function committed(grpc: GrpcTestClient, token: string, name: string): Promise<number> {
  return Number((await grpc.queryWriteStatus(token, name)).committedSize);
}

/** Sends `bytes` of `data` to `grpc` in one Write left open; resolves once the CAS holds them. */
async function startAndStall(grpc: GrpcTestClient, token: string, name: string, data: Buffer, bytes: number) {
  const write = grpc.startWrite(token);
  await write.send({ resourceName: name, data: data.subarray(0, bytes) });
  for (let i = 0; i < 200; i += 1) {
    if ((await committed(grpc, token, name).catch(() => 0)) === bytes) return write;
    await sleep(25);
  }
  throw new Error('the bytes never arrived');
}

async function stagedFiles(): Promise<string[]> {
  return (await readdir(join(a.location, '.staging')).catch(() => [])).filter((name) =>
    name.endsWith('.partial'),
  );
}

describe('an upload interrupted on one CAS', () => {
  it('continues on another over the same folder, from what the first staged', async () => {
    const token = await a.uploadToken();
    const data = bytesOf(3 * 1024 * 1024 + 5, 71);
    const name = uploadName(data);
    const write = await startAndStall(a.grpc, token, name, data, 2 * 1024 * 1024);
    write.call.cancel();
    await expectStatus(write.response, 'CANCELLED');

    expect(await committed(b.grpc, token, name)).toBe(2 * 1024 * 1024);
    expect(await b.grpc.write(token, name, data, { offset: 2 * 1024 * 1024 })).toBe(BigInt(data.byteLength));
    const download = await a.downloadToken();
    expect(Buffer.compare(await a.grpc.read(download, downloadName(data)), data)).toBe(0);
    expect(await stagedFiles()).toEqual([]);
  });

  it('is continued elsewhere after its CAS stopped, and never by two at once', async () => {
    const token = await a.uploadToken();
    const data = bytesOf(2 * 1024 * 1024, 72);
    const name = uploadName(data);
    const write = await startAndStall(a.grpc, token, name, data, 1024 * 1024);

    // While the first CAS still feeds it, the other refuses to append: two writers would interleave bytes.
    await expectStatus(b.grpc.write(token, name, data, { offset: 1024 * 1024 }), 'ABORTED', /another Write/);

    await a.cas.close();
    await expectStatus(write.response, 'UNAVAILABLE');
    expect(await committed(b.grpc, token, name)).toBe(1024 * 1024);
    expect(await b.grpc.write(token, name, data, { offset: 1024 * 1024 })).toBe(BigInt(data.byteLength));
    expect((await b.grpc.findMissing(token, [blobOf(data).digest])).missingDigests).toEqual([]);
  });

  it('verifies the staged bytes too: a staging file changed on disk stores nothing', async () => {
    const token = await a.uploadToken();
    const data = bytesOf(2 * 1024 * 1024, 73);
    const name = uploadName(data);
    const write = await startAndStall(a.grpc, token, name, data, 1024 * 1024);
    write.call.cancel();
    await expectStatus(write.response, 'CANCELLED');
    const [staged] = await stagedFiles();
    const path = join(a.location, '.staging', staged ?? '');
    const bytes = await readFile(path);
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff;
    await writeFile(path, bytes);

    await expectStatus(
      b.grpc.write(token, name, data, { offset: 1024 * 1024 }),
      'INVALID_ARGUMENT',
      /nothing was stored/,
    );
    expect((await b.grpc.findMissing(token, [blobOf(data).digest])).missingDigests).toEqual([
      blobOf(data).digest,
    ]);
    expect(await stagedFiles()).toEqual([]);
  });
});
