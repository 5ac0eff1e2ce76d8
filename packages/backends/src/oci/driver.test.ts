import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import type { Driver } from '../core/provider.js';
import { blobOf, chunksOf, freshRepository, never, randomBlob, readAll } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { type RegistryProxy, startRegistryProxy } from '../testing/oci/registry-proxy.js';
import { createOciDriver } from './driver.js';
import { EMPTY_CONFIG, EVIDENCE_ARTIFACT_TYPE, evidenceTag, OCI_IMAGE_MANIFEST } from './manifest.js';

const KiB = 1024;

async function failure(promise: Promise<unknown>): Promise<CairnError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('oci driver on a real registry', () => {
  const { host, storageDir } = inject('testServers').oci.open;

  function driverFor(repository: string, chunkSize = 64 * KiB): Driver {
    return createOciDriver({ location: `${host}/${repository}`, credentials: {} }, { chunkSize });
  }

  it('streams a blob in many PATCHes of a bounded chunk and lays it out as a Cairn OCI artifact', async () => {
    const repository = freshRepository('layout');
    const storage = new RegistryStorage(storageDir, repository);
    const driver = driverFor(repository, 64 * KiB);
    const { bytes, blob } = randomBlob(1024 * KiB + 123);
    const staged = await driver.stage(
      blob,
      { fileName: 'sbom.spdx.json', mediaType: 'application/spdx+json' },
      never,
    );
    for await (const chunk of chunksOf(bytes, 10_000)) await staged.write(chunk, never);
    // Every byte is at the registry or in flight, yet nothing is stored under the digest before commit.
    expect(await driver.stat(blob.hex, never)).toBeUndefined();
    expect(await storage.visibleBlobs()).toEqual([]);
    expect(await storage.uploadFolders()).toHaveLength(1);
    await staged.commit(never);

    expect(await driver.stat(blob.hex, never)).toEqual({
      ...blob,
      fileName: 'sbom.spdx.json',
      mediaType: 'application/spdx+json',
    });
    expect(await storage.visibleBlobs()).toEqual([blob.hex]);
    expect(await storage.leftovers()).toEqual([]);
    expect(Buffer.compare(await readFile(storage.blobDataPath(blob.hex)), bytes)).toBe(0);

    const manifestResponse = await fetch(
      `http://${host}/v2/${repository}/manifests/${evidenceTag(blob.hex)}`,
      {
        headers: { accept: OCI_IMAGE_MANIFEST },
      },
    );
    expect(manifestResponse.headers.get('content-type')).toBe(OCI_IMAGE_MANIFEST);
    expect(await manifestResponse.json()).toEqual({
      schemaVersion: 2,
      mediaType: OCI_IMAGE_MANIFEST,
      artifactType: EVIDENCE_ARTIFACT_TYPE,
      config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: 2, data: 'e30=' },
      layers: [
        {
          mediaType: 'application/spdx+json',
          digest: `sha256:${blob.hex}`,
          size: blob.size,
          annotations: {
            'org.opencontainers.image.title': 'sbom.spdx.json',
            'dev.cairn.media-type': 'application/spdx+json',
          },
        },
      ],
    });
  });

  it('keeps a media type that is no valid descriptor type in an annotation, with an octet-stream layer', async () => {
    const repository = freshRepository('media-type');
    const store = createBlobStore(driverFor(repository));
    const { bytes, blob } = randomBlob(100);
    await store.upload(chunksOf(bytes, 64), blob, never, { mediaType: 'text/plain; charset=utf-8' });
    expect(await store.describe(blob.hex, never)).toEqual({
      ...blob,
      mediaType: 'text/plain; charset=utf-8',
    });
    const manifest = (await (
      await fetch(`http://${host}/v2/${repository}/manifests/${evidenceTag(blob.hex)}`, {
        headers: { accept: OCI_IMAGE_MANIFEST },
      })
    ).json()) as { layers: Array<{ mediaType: string }> };
    expect(manifest.layers[0]?.mediaType).toBe('application/octet-stream');
  });

  it('serves ranges with 206 and reads an empty range without a body', async () => {
    const repository = freshRepository('range');
    const driver = driverFor(repository);
    const { bytes, blob } = randomBlob(300 * KiB);
    await createBlobStore(driver).upload(chunksOf(bytes, 50 * KiB), blob, never);
    const middle = await readAll(await driver.read(blob.hex, { offset: 1000, length: 5000 }, never));
    expect(middle.equals(bytes.subarray(1000, 6000))).toBe(true);
    const tail = await readAll(await driver.read(blob.hex, { offset: 299 * KiB }, never));
    expect(tail.equals(bytes.subarray(299 * KiB))).toBe(true);
    expect((await readAll(await driver.read(blob.hex, { offset: 7, length: 0 }, never))).byteLength).toBe(0);
  });

  it('has the registry itself refuse a final digest that does not match (INVALID_ARGUMENT), leaving nothing', async () => {
    const repository = freshRepository('registry-digest');
    const storage = new RegistryStorage(storageDir, repository);
    const driver = driverFor(repository);
    const { bytes, blob } = randomBlob(200 * KiB);
    // The driver trusts its caller; here the caller lies, and the registry's own check must catch it.
    const staged = await driver.stage(blob, {}, never);
    const wrong = Buffer.from(bytes);
    wrong.writeUInt8(wrong.readUInt8(5) ^ 1, 5);
    for await (const chunk of chunksOf(wrong, 32 * KiB)) await staged.write(chunk, never);
    const error = await failure(staged.commit(never));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.details.reason).toBe('digest_invalid');
    await staged.abort();
    expect(await driver.stat(blob.hex, never)).toBeUndefined();
    expect(await storage.visibleBlobs()).toEqual([]);
    expect(await storage.leftovers()).toEqual([]);
  });

  it('cancels the upload session on abort, even with a PATCH in flight, so no session is left', async () => {
    const repository = freshRepository('abort');
    const storage = new RegistryStorage(storageDir, repository);
    const driver = driverFor(repository, 16 * KiB);
    const { bytes, blob } = randomBlob(512 * KiB);
    const staged = await driver.stage(blob, {}, never);
    let written = 0;
    for await (const chunk of chunksOf(bytes, 20 * KiB)) {
      await staged.write(chunk, never);
      written += chunk.byteLength;
      if (written > 200 * KiB) break;
    }
    expect(await storage.leftovers()).toEqual([`upload session ${(await storage.uploadFolders())[0]}`]);
    // Not awaited: abort must cope with a write that is still going on.
    const racingWrite = staged
      .write(bytes.subarray(written, written + 100 * KiB), never)
      .catch((e: unknown) => e);
    await staged.abort();
    await staged.abort();
    const raced = await racingWrite;
    if (raced !== undefined) expect((raced as CairnError).code).toBe(Code.FailedPrecondition);
    expect(await storage.leftovers()).toEqual([]);
    expect(await driver.stat(blob.hex, never)).toBeUndefined();
    expect(await failure(staged.commit(never))).toMatchObject({ code: Code.FailedPrecondition });
    const blobResponse = await fetch(`http://${host}/v2/${repository}/blobs/sha256:${blob.hex}`, {
      method: 'HEAD',
    });
    expect(blobResponse.status).toBe(404);
  });

  it('stops waiting at once when the signal fires during a PATCH, and still cancels the session', async () => {
    const repository = freshRepository('cancel-in-flight');
    const storage = new RegistryStorage(storageDir, repository);
    const driver = driverFor(repository, 1024 * KiB);
    const { bytes, blob } = randomBlob(4096 * KiB);
    const staged = await driver.stage(blob, {}, never);
    await staged.write(bytes.subarray(0, 1024 * KiB), never); // the first PATCH is now in flight
    const controller = new AbortController();
    const waiting = failure(staged.write(bytes.subarray(1024 * KiB, 2048 * KiB), controller.signal));
    controller.abort();
    expect((await waiting).code).toBe(Code.Canceled);
    await staged.abort();
    expect(await storage.leftovers()).toEqual([]);
    expect(await driver.stat(blob.hex, never)).toBeUndefined();
  });

  it('pushes the empty config once and stores the empty blob', async () => {
    const repository = freshRepository('empty');
    const driver = driverFor(repository);
    const store = createBlobStore(driver);
    const empty = blobOf(new Uint8Array(0));
    await store.upload(chunksOf(new Uint8Array(0), 1), empty, never, { fileName: 'empty.log' });
    expect(await store.describe(empty.hex, never)).toEqual({ ...empty, fileName: 'empty.log' });
    expect((await readAll((await store.download(empty.hex, { offset: 0 }, never)).body)).byteLength).toBe(0);
    // A blob whose bytes are the empty config itself shares its layer.
    const config = blobOf(EMPTY_CONFIG.bytes);
    await store.upload(chunksOf(EMPTY_CONFIG.bytes, 1), config, never);
    expect(await readAll((await store.download(config.hex, { offset: 0 }, never)).body)).toEqual(
      Buffer.from('{}'),
    );
  });

  it('reports a blob read from a repository that does not exist as NOT_FOUND, and stat as absent', async () => {
    const driver = driverFor(freshRepository('missing'));
    const hex = 'a'.repeat(64);
    expect(await driver.stat(hex, never)).toBeUndefined();
    const error = await failure(driver.read(hex, { offset: 0 }, never));
    expect(error.code).toBe(Code.NotFound);
    expect(error.message).toContain(host);
  });

  it('refuses a tag that holds something other than its own evidence manifest', async () => {
    const repository = freshRepository('foreign');
    const driver = driverFor(repository);
    const store = createBlobStore(driver);
    const mine = randomBlob(10);
    const other = randomBlob(20);
    await store.upload(chunksOf(mine.bytes, 10), mine.blob, never);
    await store.upload(chunksOf(other.bytes, 10), other.blob, never);
    // Someone tags other's manifest under mine's tag behind Cairn's back.
    const manifest = await fetch(`http://${host}/v2/${repository}/manifests/${evidenceTag(other.blob.hex)}`, {
      headers: { accept: OCI_IMAGE_MANIFEST },
    });
    const put = await fetch(`http://${host}/v2/${repository}/manifests/${evidenceTag(mine.blob.hex)}`, {
      method: 'PUT',
      headers: { 'content-type': OCI_IMAGE_MANIFEST },
      body: await manifest.arrayBuffer(),
    });
    expect(put.status).toBe(201);
    const error = await failure(driver.stat(mine.blob.hex, never));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.details.reason).toBe('foreign_manifest');
  });

  it('proves write access with an untagged probe it removes again', async () => {
    const repository = freshRepository('probe');
    const storage = new RegistryStorage(storageDir, repository);
    await driverFor(repository).checkWriteAccess(never);
    expect(await storage.visibleBlobs()).toEqual([]);
    expect(await storage.leftovers()).toEqual([]);
  });

  it('threads the AbortSignal into its requests', async () => {
    const driver = driverFor(freshRepository('signal'));
    const controller = new AbortController();
    controller.abort();
    const error = await failure(driver.stat('b'.repeat(64), controller.signal));
    expect(error.code).toBe(Code.Canceled);
  });
});

describe('oci driver against an unreachable registry', () => {
  it('says UNAVAILABLE and names the host', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const driver = createOciDriver({ location: `127.0.0.1:${port}/cairn/evidence`, credentials: {} });
    for (const attempt of [
      driver.stat('c'.repeat(64), never),
      driver.stage({ hex: 'c'.repeat(64), size: 1 }, {}, never),
      driver.checkWriteAccess(never),
    ]) {
      const error = await failure(attempt);
      expect(error.code).toBe(Code.Unavailable);
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(error.message).toContain('ECONNREFUSED');
    }
  });
});

describe('oci driver behind a registry that loses track of an upload', () => {
  // A real registry fronted by a proxy that rewrites the Range of the second PATCH's answer, as a
  // registry would report after dropping or misplacing a chunk.
  let proxy: RegistryProxy;
  const { host, storageDir } = inject('testServers').oci.open;

  beforeAll(async () => {
    let patches = 0;
    proxy = await startRegistryProxy(host, (answer) => {
      if (answer.method === 'PATCH' && ++patches === 2 && typeof answer.headers.range === 'string') {
        answer.headers.range = '0-99';
      }
    });
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('checks the Range it gets back after every PATCH and gives up loudly, leaving no session', async () => {
    const repository = freshRepository('range-check');
    const storage = new RegistryStorage(storageDir, repository);
    const store = createBlobStore(
      createOciDriver(
        { location: `http://${proxy.host}/${repository}`, credentials: {} },
        { chunkSize: 16 * KiB },
      ),
    );
    const { bytes, blob } = randomBlob(100 * KiB);
    const error = await failure(store.upload(chunksOf(bytes, 16 * KiB), blob, never));
    expect(error.code).toBe(Code.Aborted);
    expect(error.details.reason).toBe('upload_range_mismatch');
    expect(error.message).toContain('0-99');
    expect(await storage.visibleBlobs()).toEqual([]);
    expect(await storage.leftovers()).toEqual([]);
  });
});
