import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Driver, StagedBlob } from '../core/provider.js';
import { never, randomBlob } from '../testing/fixtures.js';
import { SwiftInspection } from '../testing/inspect/swift.js';
import { createAwsS3Provider } from './provider.js';

const MiB = 1024 * 1024;
const provider = createAwsS3Provider({ partSize: 5 * MiB });

describe('aws-s3 leftovers of uploads a crash cut short, on Swift', () => {
  const info = inject('testServers').s3;
  let inspection: SwiftInspection;
  let driver: Driver;

  beforeAll(async () => {
    inspection = await SwiftInspection.withNewBucket(info, 'swept/');
    driver = await provider.createDriver({
      location: provider.parseLocation(`${inspection.bucket}/swept`),
      credentials: provider.parseCredentials({
        endpoint: info.endpoint,
        region: info.region,
        accessKeyId: info.accessKeyId,
        secretAccessKey: info.secretAccessKey,
      }),
    });
  });

  afterAll(async () => {
    await driver?.close();
    await inspection?.deleteBucket();
  });

  /** A multipart upload with its first part stored, then dropped as a killed process drops it. */
  async function cutShort(): Promise<{ staged: StagedBlob; bytes: Buffer; key: string }> {
    const { bytes, blob } = randomBlob(11 * MiB);
    const staged = await driver.stage(blob, {}, never);
    await staged.write(bytes.subarray(0, 6 * MiB), never);
    const key = `swept/sha256/${blob.hex}`;
    // Until its first part is stored: the part's time is what ages the upload, and it is sent in the
    // background.
    await expect.poll(() => partsStored(key), { timeout: 15_000, interval: 50 }).toBeGreaterThan(0);
    return { staged, bytes, key };
  }

  /** Parts the server holds of the multipart upload of `key`; 0 while it is not listed. */
  async function partsStored(key: string): Promise<number> {
    const upload = (await inspection.multipartUploads()).find((found) => found.key === key);
    if (upload === undefined) return 0;
    const { Parts } = await inspection.client.send(
      new ListPartsCommand({ Bucket: inspection.bucket, Key: key, UploadId: upload.uploadId }),
    );
    return (Parts ?? []).length;
  }

  it('aborts multipart uploads and deletes probes older than asked, and nothing else', async () => {
    const { client, bucket } = inspection;
    const stale = await cutShort();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'swept/.cairn-probe/x', Body: 'probe' }));
    // Another application's uploads in the same bucket, under the prefix and outside it.
    const foreign = ['swept/notes/draft', 'elsewhere/draft'];
    for (const key of foreign)
      await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    // Swift reports times to the second.
    await sleep(3_000);
    const young = await cutShort();

    expect(await driver.sweepLeftovers?.(1_500, never)).toEqual({ removed: 2, left: 0 });
    const all = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect((all.Uploads ?? []).map((upload) => upload.Key).sort()).toEqual(
      ['elsewhere/draft', 'swept/notes/draft', young.key].sort(),
    );
    expect(await inspection.keys('swept/.cairn-probe/')).toEqual([]);
    expect((await inspection.leftovers()).filter((found) => found.includes(stale.key))).toEqual([]);

    // The young upload was spared: it completes.
    await young.staged.write(young.bytes.subarray(6 * MiB), never);
    await young.staged.commit(never);
    expect(await inspection.visibleDigests()).toEqual([young.key.slice('swept/sha256/'.length)]);
    for (const upload of all.Uploads ?? []) {
      if (foreign.includes(upload.Key ?? '')) {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
        );
      }
    }
    expect(await inspection.leftovers()).toEqual([]);
  });

  it('spares an upload begun long ago that stored a part lately (one continued from its checkpoint)', async () => {
    const going = await cutShort();
    await sleep(3_000);
    // Another part stored now: begun 3 s ago, idle for no time.
    await going.staged.write(going.bytes.subarray(6 * MiB, 10 * MiB + 1), never);
    await expect.poll(() => partsStored(going.key), { timeout: 15_000, interval: 50 }).toBe(2);

    expect(await driver.sweepLeftovers?.(1_500, never)).toEqual({ removed: 0, left: 0 });
    await going.staged.write(going.bytes.subarray(10 * MiB + 1), never);
    await going.staged.commit(never);
    expect(await inspection.visibleDigests()).toContain(going.key.slice('swept/sha256/'.length));
    expect(await inspection.leftovers()).toEqual([]);
  });
});
