import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import type { Driver, StagedBlob } from '../core/provider.js';
import { chunksOf, never, randomBlob, readAll } from '../testing/fixtures.js';
import { AzuriteInspection } from '../testing/inspect/azurite.js';
import { createAzureBlobProvider } from './provider.js';

const KiB = 1024;
const provider = createAzureBlobProvider({ blockSize: 64 * KiB });

describe('azure-blob leftovers of uploads a crash cut short, on Azurite', () => {
  const info = inject('testServers').azure;
  let inspection: AzuriteInspection;
  let driver: Driver;

  beforeAll(async () => {
    inspection = AzuriteInspection.withNewName(info, 'swept/');
    driver = await provider.createDriver({
      location: provider.parseLocation(`${inspection.containerName}/swept`),
      credentials: provider.parseCredentials({
        accountName: info.accountName,
        accountKey: info.accountKey,
        endpoint: info.endpoint,
      }),
    });
    await driver.checkWriteAccess(never);
  });

  afterAll(async () => {
    await driver?.close();
    await inspection?.deleteContainer();
  });

  /** Blocks staged, never committed, then dropped as a killed process drops them. */
  async function cutShort(): Promise<{ staged: StagedBlob; bytes: Buffer; name: string }> {
    const { bytes, blob } = randomBlob(5 * 64 * KiB);
    const staged = await driver.stage(blob, {}, never);
    await staged.write(bytes.subarray(0, 3 * 64 * KiB), never);
    const name = `swept/sha256/${blob.hex}`;
    for (let tries = 0; tries < 100; tries++) {
      if ((await inspection.names(name, true)).includes(name)) break;
      await sleep(20);
    }
    return { staged, bytes, name };
  }

  it('deletes uncommitted blobs and probes idle longer than asked, and nothing else', async () => {
    const store = createBlobStore(driver);
    const kept = randomBlob(3 * 64 * KiB);
    await store.upload(chunksOf(kept.bytes, 10 * KiB), kept.blob, never);
    await cutShort();
    await inspection.container.getBlockBlobClient('swept/.cairn-probe/x').upload('probe', 5);
    // Another application's upload in the same container.
    await inspection.container
      .getBlockBlobClient('swept/notes/draft')
      .stageBlock(Buffer.from('b-1').toString('base64'), Buffer.alloc(10), 10);
    // Azurite keeps times to the second.
    await sleep(3_000);
    const young = await cutShort();

    expect(await driver.sweepLeftovers?.(1_500, never)).toEqual({ removed: 2, left: 0 });
    expect(await inspection.leftovers()).toEqual([
      'uncommitted blob swept/notes/draft',
      `uncommitted blob ${young.name}`,
    ]);

    await young.staged.write(young.bytes.subarray(3 * 64 * KiB), never);
    await young.staged.commit(never);
    expect(
      (await readAll((await store.download(kept.blob.hex, { offset: 0 }, never)).body)).equals(kept.bytes),
    ).toBe(true);
    expect((await inspection.visibleDigests()).sort()).toEqual(
      [kept.blob.hex, young.name.slice('swept/sha256/'.length)].sort(),
    );
  });

  it('spares an uncommitted blob whose upload saved a checkpoint lately (one another replica goes on with)', async () => {
    const going = await cutShort();
    const hex = going.name.slice('swept/sha256/'.length);
    await sleep(3_000);
    // Its blob is listed with the time of its first block; its checkpoint was saved just now.
    const checkpoint = JSON.stringify({ version: 1, hex });
    await inspection.container
      .getBlockBlobClient('swept/.cairn-uploads/going')
      .upload(checkpoint, checkpoint.length);

    expect(await driver.sweepLeftovers?.(1_500, never)).toEqual({ removed: 0, left: 0 });
    await going.staged.write(going.bytes.subarray(3 * 64 * KiB), never);
    await going.staged.commit(never);
    expect(await inspection.visibleDigests()).toContain(hex);
  });
});
