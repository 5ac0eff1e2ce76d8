import { createServer } from 'node:net';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type BlobStore, createBlobStore } from '../core/blob-store.js';
import type { BlobUpload } from '../core/blob-upload.js';
import type { BlobRef } from '../core/provider.js';
import {
  describeBody,
  describeGenerated,
  MiB,
  pseudoRandomChunks,
  pseudoRandomSource,
} from '../testing/conformance/index.js';
import { AzuriteInspection } from '../testing/inspect/azurite.js';
import type { AzureCredentials } from './credentials.js';
import { azureBlobProvider } from './provider.js';

const live = new AbortController().signal;
const PREFIX = 'focused/';
const SIZE = 20 * MiB + 3;

async function storeFor(location: string, credentials: AzureCredentials): Promise<BlobStore> {
  return createBlobStore(await azureBlobProvider.createDriver({ location, credentials }));
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

/** Writes the first `bytes` of the blob generated from `seed`. */
async function writeHead(upload: BlobUpload, seed: string, blob: BlobRef, bytes: number): Promise<void> {
  let sent = 0;
  for (const chunk of pseudoRandomChunks(seed, blob.size, MiB)) {
    if (sent >= bytes) return;
    await upload.write(chunk, live);
    sent += chunk.byteLength;
  }
}

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('azure-blob driver on Azurite', () => {
  const info = inject('testServers').azure;
  const credentials: AzureCredentials = {
    kind: 'shared-key',
    accountName: info.accountName,
    accountKey: info.accountKey,
    endpoint: info.endpoint,
  };
  let inspection: AzuriteInspection;
  let store: BlobStore;

  beforeAll(async () => {
    inspection = AzuriteInspection.withNewName(info, PREFIX);
    store = await storeFor(`${inspection.containerName}/focused`, credentials);
  });

  afterAll(async () => {
    await store.close();
    await inspection.deleteContainer();
  });

  it('creates the missing container when it proves write access, leaving no probe', async () => {
    expect(await inspection.container.exists()).toBe(false);
    await store.checkWriteAccess(live);
    expect(await inspection.container.exists()).toBe(true);
    expect(await inspection.leftovers()).toEqual([]);
  });

  it('stores the media type as Content-Type and the file name percent-encoded in metadata', async () => {
    const blob = await describeGenerated('az-meta', 100);
    const meta = { fileName: 'rapport é.json', mediaType: 'application/json' };
    await store.upload(pseudoRandomSource('az-meta', blob.size), blob, live, meta);
    const properties = await inspection.container
      .getBlockBlobClient(`${PREFIX}sha256/${blob.hex}`)
      .getProperties();
    expect(properties.contentType).toBe('application/json');
    expect(properties.metadata?.filename).toBe('rapport%20%C3%A9.json');
    expect(await store.describe(blob.hex, live)).toEqual({ ...blob, ...meta });
  });

  it('commits a blob larger than a block as a list of staged blocks, leaving none uncommitted', async () => {
    const blob = await describeGenerated('az-blocks', SIZE);
    await store.upload(pseudoRandomSource('az-blocks', blob.size, 3 * MiB), blob, live);
    const blocks = await inspection.container
      .getBlockBlobClient(`${PREFIX}sha256/${blob.hex}`)
      .getBlockList('all');
    expect(blocks.committedBlocks?.map((block) => block.size)).toEqual([8 * MiB, 8 * MiB, 4 * MiB + 3]);
    expect(blocks.uncommittedBlocks).toEqual([]);
    expect(await describeBody((await store.download(blob.hex, { offset: 0 }, live)).body)).toEqual(blob);
  });

  it('leaves no uncommitted blob after a digest mismatch or an abort midway', async () => {
    const declared = await describeGenerated('az-declared', SIZE);
    await expect(store.upload(pseudoRandomSource('az-impostor', SIZE), declared, live)).rejects.toThrow(
      /nothing was stored/,
    );
    expect(await inspection.names(PREFIX, true)).not.toContain(`${PREFIX}sha256/${declared.hex}`);
    const upload = await store.beginUpload(declared, live);
    await writeHead(upload, 'az-declared', declared, 17 * MiB);
    await upload.abort();
    expect(await inspection.names(PREFIX, true)).not.toContain(`${PREFIX}sha256/${declared.hex}`);
    expect(await inspection.leftovers()).toEqual([]);
  });

  it("does not discard another upload's blocks when one upload of the same blob aborts", async () => {
    const blob = await describeGenerated('az-two-uploads', SIZE);
    const survivor = await store.beginUpload(blob, live);
    const quitter = await store.beginUpload(blob, live);
    await writeHead(survivor, 'az-two-uploads', blob, 10 * MiB);
    await writeHead(quitter, 'az-two-uploads', blob, 10 * MiB);
    await quitter.abort();
    await writeTail(survivor, 'az-two-uploads', blob);
    await survivor.finish(live);
    expect(await describeBody((await store.download(blob.hex, { offset: 0 }, live)).body)).toEqual(blob);
    expect(await inspection.leftovers()).toEqual([]);
  });

  it('discards blocks staged on a blob another upload committed meanwhile, keeping its bytes and metadata', async () => {
    const blob = await describeGenerated('az-late', SIZE);
    const late = await store.beginUpload(blob, live, { fileName: 'late.bin' });
    await store.upload(pseudoRandomSource('az-late', SIZE), blob, live, { fileName: 'first.bin' });
    // Its full blocks are staged on the committed blob while it streams; finish waits for them.
    await writeTail(late, 'az-late', blob);
    await late.finish(live);
    expect(late.state).toBe('committed');
    expect(await inspection.leftovers()).toEqual([]);
    expect(await store.describe(blob.hex, live)).toEqual({ ...blob, fileName: 'first.bin' });
    expect(await describeBody((await store.download(blob.hex, { offset: 0 }, live)).body)).toEqual(blob);
  });

  it('says the account refused the credentials, without repeating the key', async () => {
    const wrongKey = Buffer.from('not-the-account-key').toString('base64');
    const refused = await storeFor(inspection.containerName, { ...credentials, accountKey: wrongKey });
    for (const attempt of [
      () => refused.checkWriteAccess(live),
      () => refused.exists('a'.repeat(64), live),
    ]) {
      const error = await failure(attempt());
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.message).toMatch(/refused the credentials/);
      expect(error.message).not.toContain(wrongKey);
    }
  });

  it('names a container that does not exist', async () => {
    const missing = await storeFor('no-such-container-for-cairn', credentials);
    const error = await failure(missing.exists('a'.repeat(64), live));
    expect(error.code).toBe(Code.NotFound);
    expect(error.message).toContain('"no-such-container-for-cairn"');
    const blob = await describeGenerated('az-missing-container', SIZE);
    const upload = failure(missing.upload(pseudoRandomSource('az-missing-container', SIZE), blob, live));
    expect((await upload).code).toBe(Code.NotFound);
  });

  it('reports an unreachable endpoint as UNAVAILABLE, naming it', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}/devstoreaccount1`;
    const unreachable = await storeFor(inspection.containerName, { ...credentials, endpoint });
    const error = await failure(unreachable.checkWriteAccess(live));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.message).toContain(endpoint);
  });

  it('reports a service principal whose token cannot be obtained as UNAUTHENTICATED, without its secret', async () => {
    const principal = await storeFor(inspection.containerName, {
      kind: 'service-principal',
      accountName: info.accountName,
      tenantId: '0c1d2e3f-0000-4000-8000-000000000000',
      clientId: '9a8b7c6d-0000-4000-8000-000000000000',
      clientSecret: 'principal-secret-value',
      endpoint: info.endpoint.replace('http:', 'https:'),
      authorityHost: `https://127.0.0.1:${await closedPort()}`,
    });
    const error = await failure(principal.exists('a'.repeat(64), live));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.message).not.toContain('principal-secret-value');
  });
});

/** Writes the rest of the blob generated from `seed`, from where `upload` stands. */
async function writeTail(upload: BlobUpload, seed: string, blob: BlobRef): Promise<void> {
  let position = 0;
  for (const chunk of pseudoRandomChunks(seed, blob.size, MiB)) {
    const end = position + chunk.byteLength;
    if (end > upload.received)
      await upload.write(chunk.subarray(Math.max(0, upload.received - position)), live);
    position = end;
  }
}
