import { createServer } from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BlobStore, createBlobStore } from '../core/blob-store.js';
import {
  describeBody,
  describeGenerated,
  MiB,
  pseudoRandomChunks,
  pseudoRandomSource,
} from '../testing/conformance/index.js';
import { SwiftInspection } from '../testing/inspect/swift.js';
import type { S3Credentials } from './credentials.js';
import { awsS3Provider } from './provider.js';

const live = new AbortController().signal;
const PREFIX = 'focused/';

async function storeFor(location: string, credentials: S3Credentials): Promise<BlobStore> {
  return createBlobStore(await awsS3Provider.createDriver({ location, credentials }));
}

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

/** A 127.0.0.1 port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('aws-s3 driver on Swift', () => {
  const info = inject('testServers').s3;
  const credentials: S3Credentials = {
    endpoint: info.endpoint,
    region: info.region,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
  };
  let inspection: SwiftInspection;
  let store: BlobStore;

  beforeAll(async () => {
    inspection = await SwiftInspection.withNewBucket(info, PREFIX);
    store = await storeFor(`${inspection.bucket}/focused`, credentials);
  });

  afterAll(async () => {
    await store.close();
    await inspection.deleteBucket();
  });

  it('stores the media type as Content-Type and the file name percent-encoded in x-amz-meta-filename', async () => {
    const blob = await describeGenerated('s3-meta', 100);
    const meta = { fileName: 'rapport é.json', mediaType: 'application/json' };
    await store.upload(pseudoRandomSource('s3-meta', blob.size), blob, live, meta);
    const head = await inspection.client.send(
      new HeadObjectCommand({ Bucket: inspection.bucket, Key: `${PREFIX}sha256/${blob.hex}` }),
    );
    expect(head.ContentType).toBe('application/json');
    expect(head.Metadata?.filename).toBe('rapport%20%C3%A9.json');
    expect(await store.describe(blob.hex, live)).toEqual({ ...blob, ...meta });
  });

  it('stores a blob larger than a part as a multipart object and leaves no upload or stray segment', async () => {
    const blob = await describeGenerated('s3-multipart', 20 * MiB + 3);
    await store.upload(pseudoRandomSource('s3-multipart', blob.size, 3 * MiB), blob, live);
    const key = `${PREFIX}sha256/${blob.hex}`;
    const head = await inspection.client.send(new HeadObjectCommand({ Bucket: inspection.bucket, Key: key }));
    expect(head.ETag).toMatch(/-3"$/);
    expect(await inspection.multipartUploads()).toEqual([]);
    // Three parts of one completed upload, nothing else.
    const segments = await inspection.segments(key);
    expect(segments).toHaveLength(3);
    expect(new Set(segments.map((name) => name.split('/').at(-2))).size).toBe(1);
    expect(await describeBody((await store.download(blob.hex, { offset: 0 }, live)).body)).toEqual(blob);
  });

  it('leaves no upload and no segment after a digest mismatch or an abort midway', async () => {
    const declared = await describeGenerated('s3-declared', 20 * MiB);
    await expect(
      store.upload(pseudoRandomSource('s3-impostor', declared.size), declared, live),
    ).rejects.toThrow(/nothing was stored/);
    const upload = await store.beginUpload(declared, live);
    let sent = 0;
    for (const chunk of pseudoRandomChunks('s3-declared', declared.size, MiB)) {
      if (sent >= 17 * MiB) break;
      await upload.write(chunk, live);
      sent += chunk.byteLength;
    }
    await upload.abort();
    const key = `${PREFIX}sha256/${declared.hex}`;
    expect(await inspection.visibleDigests()).not.toContain(declared.hex);
    expect(await inspection.multipartUploads()).toEqual([]);
    expect(await inspection.segments(key)).toEqual([]);
  });

  it('proves write access, leaving no probe', async () => {
    await store.checkWriteAccess(live);
    expect(await inspection.leftovers()).toEqual([]);
  });

  it('says the S3 server refused the credentials, without repeating the secret', async () => {
    for (const wrong of [
      { ...credentials, secretAccessKey: 'not-the-secret-value' },
      { ...credentials, accessKeyId: 'nobody:unknown', secretAccessKey: 'not-the-secret-value' },
    ]) {
      const refused = await storeFor(inspection.bucket, wrong);
      for (const attempt of [
        () => refused.checkWriteAccess(live),
        () => refused.exists('a'.repeat(64), live),
      ]) {
        const error = await failure(attempt());
        expect(error.code).toBe(Code.Unauthenticated);
        expect(error.message).toMatch(/refused the credentials/);
        expect(error.message).not.toContain('not-the-secret-value');
      }
      await refused.close();
    }
  });

  it('says access was denied to a user without rights on the bucket', async () => {
    const outsider = await storeFor(inspection.bucket, { ...credentials, ...info.unprivileged });
    const error = await failure(outsider.checkWriteAccess(live));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.message).toContain(inspection.bucket);
    await outsider.close();
  });

  it('names a bucket that does not exist', async () => {
    const missing = await storeFor('no-such-bucket-for-cairn', credentials);
    const error = await failure(missing.checkWriteAccess(live));
    expect(error.code).toBe(Code.NotFound);
    expect(error.message).toContain('"no-such-bucket-for-cairn"');
    const blob = await describeGenerated('s3-missing-bucket', 10);
    expect(
      (await failure(missing.upload(pseudoRandomSource('s3-missing-bucket', 10), blob, live))).code,
    ).toBe(Code.NotFound);
    await missing.close();
  });

  it('reports an unreachable endpoint as UNAVAILABLE, naming it', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = await storeFor(inspection.bucket, { ...credentials, endpoint });
    const error = await failure(unreachable.checkWriteAccess(live));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.message).toContain(endpoint);
    await unreachable.close();
  });
});
