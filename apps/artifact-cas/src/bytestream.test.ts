import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fromGrpcError } from '@cairn/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobOf,
  bytesOf,
  downloadName,
  startTestCas,
  type TestCas,
  uploadName,
} from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';

let t: TestCas;
let upload: string;
let download: string;

beforeAll(async () => {
  t = await startTestCas();
  upload = await t.uploadToken();
  download = await t.downloadToken();
});

afterAll(async () => {
  await t.close();
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('ByteStream round trip', () => {
  it('writes a blob and reads back the same bytes, whole and by offset/limit', async () => {
    const data = bytesOf(3 * 1024 * 1024 + 17, 2);
    expect(
      await t.grpc.write(upload, uploadName(data), data, { metadata: { 'cairn-filename': 'sbom.json' } }),
    ).toBe(BigInt(data.byteLength));
    const back = await t.grpc.read(download, downloadName(data));
    expect(back.equals(data)).toBe(true);
    expect(
      (await t.grpc.read(download, downloadName(data), { offset: 1000, limit: 5000 })).equals(
        data.subarray(1000, 6000),
      ),
    ).toBe(true);
    expect(
      (await t.grpc.read(download, downloadName(data), { offset: data.byteLength - 3 })).equals(
        data.subarray(-3),
      ),
    ).toBe(true);
    expect((await t.grpc.read(download, downloadName(data), { offset: data.byteLength })).byteLength).toBe(0);
    const described = await t.grpc.describe(download, blobOf(data).digest);
    expect(described.resource?.fileName).toBe('sbom.json');
    expect(described.resource?.size).toBe(BigInt(data.byteLength));
  });

  it('stores and reads an empty blob', async () => {
    const empty = new Uint8Array();
    expect(await t.grpc.write(upload, uploadName(empty), empty)).toBe(0n);
    expect((await t.grpc.read(download, downloadName(empty))).byteLength).toBe(0);
  });

  it('answers a Write of a stored blob at once with committed_size = size', async () => {
    const data = bytesOf(100_000, 3);
    await t.grpc.write(upload, uploadName(data), data);
    const write = t.grpc.startWrite(upload);
    await write.send({ resourceName: uploadName(data), data: data.subarray(0, 10) });
    expect(await write.response).toBe(100_000n);
    write.end();
    const status = await t.grpc.queryWriteStatus(upload, uploadName(data));
    expect(status.complete).toBe(true);
    expect(status.committedSize).toBe(100_000n);
  });

  it('ends a Read of a corrupt blob with DATA_LOSS before its last byte', async () => {
    const data = bytesOf(2 * 1024 * 1024 + 5, 4);
    await t.grpc.write(upload, uploadName(data), data);
    const { hex } = blobOf(data);
    const file = await open(join(t.location, 'sha256', hex.slice(0, 2), hex), 'r+');
    await file.write(Buffer.from([(data[10] ?? 0) ^ 0xff]), 0, 1, 10);
    await file.close();
    const error = await expectStatus(t.grpc.read(download, downloadName(data)), 'DATA_LOSS', /corrupt/);
    expect((error as unknown as { received: Buffer }).received.byteLength).toBeLessThan(data.byteLength);
  });
});

describe('resume', () => {
  it('keeps an interrupted Write; QueryWriteStatus reports the real size and a new Write finishes it', async () => {
    const data = bytesOf(1024 * 1024, 5);
    const name = uploadName(data);
    // The client half-closes without finish_write: the CAS reports what it holds and keeps the upload.
    expect(await t.grpc.write(upload, name, data.subarray(0, 300_000), { finish: false })).toBe(300_000n);
    let status = await t.grpc.queryWriteStatus(upload, name);
    expect(status).toMatchObject({ committedSize: 300_000n, complete: false });

    // A client cancel mid-stream: whatever arrived stays with the session.
    const write = t.grpc.startWrite(upload);
    await write.send({ resourceName: name, writeOffset: 300_000, data: data.subarray(300_000, 500_000) });
    await until(
      async () => (await t.grpc.queryWriteStatus(upload, name)).committedSize === 500_000n,
      'bytes arrive',
    );
    write.call.cancel();
    await expectStatus(write.response, 'CANCELLED');
    await expectStatus(t.grpc.read(download, downloadName(data)), 'NOT_FOUND');
    status = await t.grpc.queryWriteStatus(upload, name);
    expect(status).toMatchObject({ committedSize: 500_000n, complete: false });

    expect(await t.grpc.write(upload, name, data, { offset: 500_000 })).toBe(BigInt(data.byteLength));
    expect((await t.grpc.read(download, downloadName(data))).equals(data)).toBe(true);
    status = await t.grpc.queryWriteStatus(upload, name);
    expect(status).toMatchObject({ committedSize: BigInt(data.byteLength), complete: true });
  });

  it('refuses to resume at the wrong offset, and the upload stays resumable', async () => {
    const data = bytesOf(200_000, 6);
    const name = uploadName(data);
    await t.grpc.write(upload, name, data.subarray(0, 50_000), { finish: false });
    await expectStatus(
      t.grpc.write(upload, name, data, { offset: 60_000 }),
      'INVALID_ARGUMENT',
      /write_offset is 60000 but the CAS holds 50000 bytes.*continue at write_offset 50000/,
    );
    await expectStatus(
      t.grpc.write(upload, name, data, { offset: 40_000 }),
      'INVALID_ARGUMENT',
      /write_offset/,
    );
    expect(await t.grpc.write(upload, name, data, { offset: 50_000 })).toBe(200_000n);
  });

  it('says NOT_FOUND for an upload it does not know', async () => {
    await expectStatus(
      t.grpc.queryWriteStatus(upload, uploadName(bytesOf(10, 7))),
      'NOT_FOUND',
      /write_offset 0/,
    );
  });
});

describe('nothing visible after a failed or abandoned upload', () => {
  it('a client cancel leaves no blob, and the staged bytes go once idle past the leftover age', async () => {
    const short = await startTestCas({
      uploads: { resumeWindowMs: 200 },
      sweeper: { leftoverAgeMs: 1_000, periodMs: 100 },
    });
    try {
      const token = await short.uploadToken();
      const before = await short.files();
      const data = bytesOf(2 * 1024 * 1024, 8);
      const name = uploadName(data);
      const write = short.grpc.startWrite(token);
      await write.send({ resourceName: name, data: data.subarray(0, 1024 * 1024) });
      await until(
        async () =>
          (await short.grpc.queryWriteStatus(token, name).catch(() => undefined))?.committedSize ===
          1024n * 1024n,
        'bytes arrive',
      );
      write.call.cancel();
      await expectStatus(write.response, 'CANCELLED');
      expect((await short.grpc.findMissing(token, [blobOf(data).digest])).missingDigests).toEqual([
        blobOf(data).digest,
      ]);
      // Kept for a resume, by this CAS or another on the same folder...
      expect(Number((await short.grpc.queryWriteStatus(token, name)).committedSize)).toBe(1024 * 1024);
      // ...until the sweep of a later call finds it idle past sweeper.leftoverAgeMs.
      await until(async () => {
        await short.grpc.findMissing(token, [blobOf(data).digest]);
        return (await short.files()).join() === before.join();
      }, 'the staged upload is removed');
      await expectStatus(short.grpc.queryWriteStatus(token, name), 'NOT_FOUND');
    } finally {
      await short.close();
    }
  });

  it('refuses a digest mismatch and stores nothing', async () => {
    const data = bytesOf(5000, 9);
    const other = bytesOf(5000, 10);
    await expectStatus(
      t.grpc.write(upload, uploadName(data), other),
      'INVALID_ARGUMENT',
      /hash to sha256:.*nothing was stored/,
    );
    await expectStatus(t.grpc.read(download, downloadName(data)), 'NOT_FOUND');
    await expectStatus(t.grpc.queryWriteStatus(upload, uploadName(data)), 'NOT_FOUND');
  });

  it('refuses a declared size different from the bytes sent, either way', async () => {
    const data = bytesOf(5000, 11);
    const { hex } = blobOf(data);
    await expectStatus(
      t.grpc.write(upload, `uploads/${randomUUID()}/blobs/${hex}/4000`, data),
      'INVALID_ARGUMENT',
      /more than the declared 4000 bytes/,
    );
    await expectStatus(
      t.grpc.write(upload, `uploads/${randomUUID()}/blobs/${hex}/6000`, data),
      'INVALID_ARGUMENT',
      /received 5000 bytes but 6000 were declared/,
    );
    await expectStatus(t.grpc.read(download, `blobs/${hex}/5000`), 'NOT_FOUND');
  });
});

describe('status codes', () => {
  const data = bytesOf(1000, 12);

  it('UNAUTHENTICATED without a token or with garbage', async () => {
    await expectStatus(
      t.grpc.write(undefined, uploadName(data), data),
      'UNAUTHENTICATED',
      /needs a CAS token/,
    );
    await expectStatus(t.grpc.write('garbage', uploadName(data), data), 'UNAUTHENTICATED');
    await expectStatus(t.grpc.read('Basic dXNlcjpwYXNz', downloadName(data)), 'UNAUTHENTICATED', /Bearer/);
    await expectStatus(t.grpc.findMissing(undefined, []), 'UNAUTHENTICATED');
  });

  it('PERMISSION_DENIED for the wrong role, another blob, or a filesystem location outside the roots', async () => {
    await t.grpc.write(upload, uploadName(data), data);
    await expectStatus(t.grpc.write(download, uploadName(data), data), 'PERMISSION_DENIED', /upload token/);
    await expectStatus(t.grpc.read(upload, downloadName(data)), 'PERMISSION_DENIED', /download token/);
    const bound = await t.downloadToken({ digest: blobOf(bytesOf(1, 1)).digest });
    await expectStatus(t.grpc.read(bound, downloadName(data)), 'PERMISSION_DENIED', /bound to another blob/);
    expect(
      (await t.grpc.read(await t.downloadToken({ digest: blobOf(data).digest }), downloadName(data))).equals(
        data,
      ),
    ).toBe(true);
    for (const location of ['/etc', join(t.dir, 'elsewhere'), `${t.root}-sibling`, join(t.root, '..', 'x')]) {
      const outside = await t.uploadToken({ backend: { id: 'evil', provider: 'filesystem', location } });
      await expectStatus(
        t.grpc.write(outside, uploadName(data), data),
        'PERMISSION_DENIED',
        /backends\.filesystemRoots/,
      );
    }
    const elsewhere = join(t.dir, 'elsewhere');
    const outside = await t.uploadToken({
      backend: { id: 'evil', provider: 'filesystem', location: elsewhere },
    });
    await expectStatus(
      t.grpc.write(outside, uploadName(data), data),
      'PERMISSION_DENIED',
      new RegExp(
        `^directory ${elsewhere} is not served by this CAS, which serves ${t.root}; choose a directory under it`,
      ),
    );
  });

  it('RESOURCE_EXHAUSTED for a declared size over max_bytes, before a byte is stored, naming both sizes', async () => {
    const small = await t.uploadToken({ max_bytes: 999 });
    const before = await t.files();
    await expectStatus(
      t.grpc.write(small, uploadName(bytesOf(1000, 13)), bytesOf(1000, 13)),
      'RESOURCE_EXHAUSTED',
      /^1000 bytes is over the 999 bytes limit of this backend;/,
    );
    const gib = 1024 ** 3;
    const limited = await t.uploadToken({ max_bytes: gib });
    const declared = `uploads/${randomUUID()}/blobs/${'d'.repeat(64)}/${1.5 * gib}`;
    const refusal = await expectStatus(
      t.grpc.write(limited, declared, bytesOf(10, 14)),
      'RESOURCE_EXHAUSTED',
    );
    expect(refusal.details).toBe(
      '1.5 GiB is over the 1 GiB limit of this backend; raise it with `cairn cas-backend update NAME --max-bytes SIZE`',
    );
    expect(fromGrpcError(refusal, { service: 'the CAS', address: '' }).details).toEqual({
      reason: 'blob_too_large',
      size: String(1.5 * gib),
      max_bytes: String(gib),
      backend_id: 'backend-1',
    });
    const justOver = `uploads/${randomUUID()}/blobs/${'d'.repeat(64)}/${gib + 1}`;
    await expectStatus(
      t.grpc.write(limited, justOver, bytesOf(10, 14)),
      'RESOURCE_EXHAUSTED',
      /^1 GiB \(1073741825 bytes\) is over the 1 GiB \(1073741824 bytes\) limit/,
    );
    expect(await t.files()).toEqual(before);
  });

  it.each([
    ['path traversal', `uploads/${randomUUID()}/blobs/../../../etc/passwd`, /"\.\."/],
    ['a short digest', `uploads/${randomUUID()}/blobs/${'a'.repeat(63)}/1`, /64 hex/],
    ['upper-case hex', `uploads/${randomUUID()}/blobs/${'A'.repeat(64)}/1`, /upper-case/],
    ['a negative size', `uploads/${randomUUID()}/blobs/${'a'.repeat(64)}/-1`, /non-negative/],
    ['a non-numeric size', `uploads/${randomUUID()}/blobs/${'a'.repeat(64)}/12abc`, /non-negative/],
  ])('INVALID_ARGUMENT for %s, naming the expected form', async (_case, name, reason) => {
    const error = await expectStatus(
      t.grpc.write(upload, name, new Uint8Array(1)),
      'INVALID_ARGUMENT',
      reason,
    );
    expect(error.details).toContain('expected uploads/{uuid}/blobs/');
    await expectStatus(
      t.grpc.read(download, name.replace(/^uploads\/[^/]+\//, '')),
      'INVALID_ARGUMENT',
      /expected blobs\//,
    );
  });

  it('INVALID_ARGUMENT for an upload name without a UUID', async () => {
    await expectStatus(
      t.grpc.write(upload, `uploads/123/blobs/${'a'.repeat(64)}/1`, new Uint8Array(1)),
      'INVALID_ARGUMENT',
      /UUID/,
    );
  });

  it('INVALID_ARGUMENT for a gap in write_offset and a change of resource name', async () => {
    const fresh = bytesOf(3000, 14);
    const name = uploadName(fresh);
    const write = t.grpc.startWrite(upload);
    await write.send({ resourceName: name, data: fresh.subarray(0, 1000) });
    await write.send({ writeOffset: 1500, data: fresh.subarray(1500, 2000) });
    write.end();
    await expectStatus(write.response, 'INVALID_ARGUMENT', /continue at write_offset 1000/);
    const renamed = t.grpc.startWrite(upload);
    await renamed.send({ resourceName: name, writeOffset: 1000, data: fresh.subarray(1000, 2000) });
    await renamed.send({
      resourceName: uploadName(bytesOf(5, 5)),
      writeOffset: 2000,
      data: fresh.subarray(2000),
    });
    renamed.end();
    await expectStatus(renamed.response, 'INVALID_ARGUMENT', /names one resource/);
  });

  it('NOT_FOUND for a missing blob; OUT_OF_RANGE and INVALID_ARGUMENT for bad read offsets and limits', async () => {
    const missing = bytesOf(10, 15);
    await expectStatus(t.grpc.read(download, downloadName(missing)), 'NOT_FOUND', /upload the blob first/);
    await expectStatus(t.grpc.describe(download, blobOf(missing).digest), 'NOT_FOUND');
    await t.grpc.write(upload, uploadName(data), data);
    await expectStatus(
      t.grpc.read(download, downloadName(data), { offset: 1001 }),
      'OUT_OF_RANGE',
      /past the end/,
    );
    await expectStatus(t.grpc.read(download, downloadName(data), { offset: -1 }), 'OUT_OF_RANGE', /negative/);
    await expectStatus(
      t.grpc.read(download, downloadName(data), { limit: -1 }),
      'INVALID_ARGUMENT',
      /read_limit/,
    );
    await expectStatus(
      t.grpc.read(download, `blobs/${blobOf(data).hex}/999`),
      'INVALID_ARGUMENT',
      /has 1000 bytes/,
    );
  });
});
