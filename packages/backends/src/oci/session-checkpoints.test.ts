import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '@cairn/digest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import { openResumableSha256, type ResumableSha256Factory } from '../core/resumable-sha256.js';
import { freshRepository, never, randomBlob } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { startRegistryProxy } from '../testing/oci/registry-proxy.js';
import { type RegistryEndpoint, type RunningServer, startRegistry } from '../testing/servers/index.js';
import {
  checkpointManifest,
  checkpointTag,
  resumeFrom,
  type SessionCheckpoint,
} from './checkpoint-manifest.js';
import { OciClient } from './client.js';
import { createOciDriver } from './driver.js';
import { parseOciLocation } from './location.js';
import { EMPTY_CONFIG } from './manifest.js';
import { SessionCheckpoints } from './session-checkpoints.js';

const CHUNK = 1024;

async function sha(): Promise<ResumableSha256Factory> {
  const opened = await openResumableSha256();
  if ('unavailable' in opened) throw new Error(opened.unavailable);
  return opened;
}

/** Saves `checkpoint` under `tag`; resolves its manifest's digest. */
async function save(checkpoints: SessionCheckpoints, tag: string, checkpoint: SessionCheckpoint) {
  const manifest = checkpointManifest(checkpoint);
  await checkpoints.write(tag, manifest, never);
  return `sha256:${sha256Hex(manifest)}`;
}

describe('upload checkpoints kept in a repository', () => {
  const { host, storageDir } = inject('testServers').oci.open;

  async function setup(purpose: string) {
    const repository = freshRepository(purpose);
    const client = new OciClient(parseOciLocation(`${host}/${repository}`), {});
    const ensureConfig = async (signal: AbortSignal) => {
      await client.pushSmallBlob(EMPTY_CONFIG.bytes, EMPTY_CONFIG.hex, signal);
    };
    const checkpoints = new SessionCheckpoints(client, ensureConfig);
    const state = (await sha()).create();
    state.update(new Uint8Array(CHUNK).fill(7));
    const checkpoint: SessionCheckpoint = {
      hex: 'ab'.repeat(32),
      size: 3 * CHUNK,
      chunkSize: CHUNK,
      offset: CHUNK,
      location: `http://${host}/v2/${repository}/blobs/uploads/3f1c?_state=x`,
      hashState: state.exportState(),
    };
    return {
      client,
      checkpoints,
      checkpoint,
      repository,
      storage: new RegistryStorage(storageDir, repository),
    };
  }

  it('reads back what it saved, and removing it leaves nothing in the repository', async () => {
    const { checkpoints, checkpoint, storage } = await setup('checkpoint-round-trip');
    const tag = checkpointTag('an upload');
    const digest = await save(checkpoints, tag, checkpoint);
    const found = await checkpoints.read(tag, never);
    expect(found).toEqual({ checkpoint: { ...checkpoint, hashState: expect.any(Uint8Array) }, digest });
    expect(Buffer.from(found?.checkpoint.hashState ?? []).equals(Buffer.from(checkpoint.hashState))).toBe(
      true,
    );
    expect(await storage.visibleBlobs()).toEqual([]);
    expect(await checkpoints.remove(digest, never)).toBe(true);
    expect(await checkpoints.read(tag, never)).toBeUndefined();
    expect(await checkpoints.remove(digest, never)).toBe(false);
    expect(await storage.leftovers()).toEqual([]);
  });

  it('ignores a checkpoint whose Location leaves the repository, so no credential is sent elsewhere', async () => {
    const { checkpoints, checkpoint, repository } = await setup('checkpoint-foreign');
    const tag = checkpointTag('a tampered upload');
    for (const location of [
      `http://attacker.example/v2/${repository}/blobs/uploads/3f1c`,
      `http://${host}/v2/other/repository/blobs/uploads/3f1c`,
      `http://${host}/v2/${repository}/manifests/latest`,
      `http://${host}/v2/${repository}/blobs/uploads/..%2F..%2F..%2Fother%2Fblobs%2Fuploads%2F3f1c`,
      'not a url',
    ]) {
      await save(checkpoints, tag, { ...checkpoint, location });
      expect(await checkpoints.read(tag, never), location).toBeUndefined();
    }
  });

  it('starts an upload again when the registry refuses to show its checkpoint, rather than failing it', async () => {
    const repository = freshRepository('checkpoint-refused');
    const proxy = await startRegistryProxy(host, (answer) => {
      if (answer.method === 'GET' && answer.url.includes('/manifests/cairn-upload-')) answer.status = 403;
    });
    try {
      const driver = createOciDriver(
        { location: `${proxy.host}/${repository}`, credentials: {} },
        { chunkSize: CHUNK, resumableSha256: await sha() },
      );
      const store = createBlobStore(driver);
      const { bytes, blob } = randomBlob(3 * CHUNK + 5);
      expect(await store.stagedBytes(blob, 'refused', never)).toBeUndefined();
      const upload = await store.beginUpload(blob, never, {}, 'refused');
      expect(upload.received).toBe(0);
      await upload.write(bytes, never);
      await upload.finish(never);
      expect(await new RegistryStorage(storageDir, repository).visibleBlobs()).toEqual([blob.hex]);
    } finally {
      await proxy.close();
    }
  });

  it('cancels rather than leaves a suspended upload whose newest checkpoint could not be saved', async () => {
    const repository = freshRepository('checkpoint-unsaved');
    let checkpointPuts = 0;
    // Every checkpoint after the first is stored, but its answer is lost: the upload cannot know it was.
    const proxy = await startRegistryProxy(host, (answer) => {
      if (
        answer.method === 'PUT' &&
        answer.url.includes('/manifests/cairn-upload-') &&
        ++checkpointPuts > 1
      ) {
        answer.status = 400;
      }
    });
    try {
      const driver = createOciDriver(
        { location: `${proxy.host}/${repository}`, credentials: {} },
        { chunkSize: CHUNK, resumableSha256: await sha() },
      );
      const store = createBlobStore(driver);
      const storage = new RegistryStorage(storageDir, repository);
      const { bytes, blob } = randomBlob(3 * CHUNK + 5);
      const upload = await store.beginUpload(blob, never, {}, 'unsaved');
      await upload.write(bytes.subarray(0, CHUNK), never);
      expect(await eventually(async () => (await store.stagedBytes(blob, 'unsaved', never)) === CHUNK)).toBe(
        true,
      );
      await upload.write(bytes.subarray(CHUNK, 2 * CHUNK + 5), never);
      await upload.suspend();
      // The checkpoint saved names a Location the registry has moved past: nobody could continue from it.
      expect(checkpointPuts).toBeGreaterThan(1);
      expect(await store.stagedBytes(blob, 'unsaved', never)).toBeUndefined();
      expect(await storage.leftovers()).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('cancels an upload suspended before its first checkpoint: no other process could continue it', async () => {
    const repository = freshRepository('checkpoint-none-yet');
    const driver = createOciDriver(
      { location: `${host}/${repository}`, credentials: {} },
      { chunkSize: CHUNK, resumableSha256: await sha() },
    );
    const store = createBlobStore(driver);
    const storage = new RegistryStorage(storageDir, repository);
    const { bytes, blob } = randomBlob(3 * CHUNK + 5);
    const upload = await store.beginUpload(blob, never, {}, 'none yet');
    await upload.write(bytes.subarray(0, CHUNK / 2), never);
    expect(await storage.leftovers()).toEqual([expect.stringMatching(/^upload session /)]);
    await upload.suspend();
    expect(await storage.leftovers()).toEqual([]);
  });

  it("does not follow a redirect from a checkpoint's Location: nothing reaches the other host, and the upload starts again", async () => {
    const repository = freshRepository('checkpoint-redirected');
    // Another host, which would answer as a registry holding the checkpoint's bytes and so take the upload.
    const elsewhere: string[] = [];
    const sink = createServer((request, response) => {
      elsewhere.push(`${request.method} ${request.url}`);
      response.writeHead(204, {
        range: `0-${2 * CHUNK - 1}`,
        location: `/v2/${repository}/blobs/uploads/taken`,
      });
      response.end();
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const sinkHost = `127.0.0.1:${(sink.address() as AddressInfo).port}`;
    let redirecting = false;
    const proxy = await startRegistryProxy(host, (answer) => {
      if (redirecting && answer.method === 'GET' && answer.url.includes('/blobs/uploads/')) {
        answer.status = 307;
        answer.headers.location = `http://${sinkHost}/v2/${repository}/blobs/uploads/taken`;
      }
    });
    try {
      const open = async () =>
        createBlobStore(
          createOciDriver(
            { location: `${proxy.host}/${repository}`, credentials: {} },
            { chunkSize: CHUNK, resumableSha256: await sha() },
          ),
        );
      const { bytes, blob } = randomBlob(3 * CHUNK + 5);
      const first = await (await open()).beginUpload(blob, never, {}, 'redirected');
      await first.write(bytes.subarray(0, 2 * CHUNK + 5), never);
      await first.suspend();
      redirecting = true;
      const store = await open();
      expect(await store.stagedBytes(blob, 'redirected', never)).toBeUndefined();
      const again = await store.beginUpload(blob, never, {}, 'redirected');
      expect(again.received).toBe(0);
      await again.write(bytes, never);
      await again.finish(never);
      expect(elsewhere).toEqual([]);
      expect(await new RegistryStorage(storageDir, repository).visibleBlobs()).toEqual([blob.hex]);
    } finally {
      await proxy.close();
      sink.closeAllConnections();
      await new Promise<void>((resolve) => sink.close(() => resolve()));
    }
  });

  it('continues only a checkpoint of the same blob, chunk size and a state of exactly its bytes', async () => {
    const { checkpoint } = await setup('checkpoint-fit');
    const factory = await sha();
    const blob = { hex: checkpoint.hex, size: checkpoint.size };
    expect(resumeFrom(checkpoint, blob, CHUNK, factory)?.bytesHashed).toBe(CHUNK);
    expect(resumeFrom(checkpoint, { ...blob, hex: 'cd'.repeat(32) }, CHUNK, factory)).toBeUndefined();
    expect(resumeFrom(checkpoint, { ...blob, size: CHUNK }, CHUNK, factory)).toBeUndefined();
    expect(resumeFrom(checkpoint, blob, 2 * CHUNK, factory)).toBeUndefined();
    expect(resumeFrom({ ...checkpoint, offset: 2 * CHUNK }, blob, CHUNK, factory)).toBeUndefined();
  });
});

describe('a registry that refuses deletes', () => {
  const KiB = 1024;
  const CHUNK_BYTES = 64 * KiB;
  let registry: RunningServer<RegistryEndpoint>;

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'none' }, { deletes: false });
  });

  afterAll(() => registry?.stop());

  it('gets no more checkpoints once it refused to delete one, and uploads go on without them', async () => {
    const repository = freshRepository('checkpoint-no-deletes');
    const storage = new RegistryStorage(registry.info.storageDir, repository);
    const driver = createOciDriver(
      { location: `${registry.info.host}/${repository}`, credentials: {} },
      { chunkSize: CHUNK_BYTES, resumableSha256: await sha() },
    );
    const store = createBlobStore(driver);
    const checkpointTags = async () =>
      (await storage.leftovers()).filter((leftover) => leftover.startsWith('upload checkpoint'));

    // The first upload saves a checkpoint; its commit cannot delete it, which the registry then keeps.
    const first = randomBlob(3 * CHUNK_BYTES + 5);
    const upload = await store.beginUpload(first.blob, never, {}, 'first upload');
    await upload.write(first.bytes.subarray(0, 2 * CHUNK_BYTES), never);
    expect(await eventually(async () => (await checkpointTags()).length === 1)).toBe(true);
    await upload.write(first.bytes.subarray(2 * CHUNK_BYTES), never);
    await upload.finish(never);
    expect(await checkpointTags()).toHaveLength(1);

    // The next one keeps none, and cannot be continued elsewhere, but stores its blob.
    const second = randomBlob(3 * CHUNK_BYTES + 5);
    const next = await store.beginUpload(second.blob, never, {}, 'second upload');
    await next.write(second.bytes.subarray(0, 2 * CHUNK_BYTES), never);
    await sleep(1500);
    expect(await checkpointTags()).toHaveLength(1);
    expect(await store.stagedBytes(second.blob, 'second upload', never)).toBeUndefined();
    await next.write(second.bytes.subarray(2 * CHUNK_BYTES), never);
    await next.finish(never);
    expect((await storage.visibleBlobs()).sort()).toEqual([first.blob.hex, second.blob.hex].sort());
    await driver.close();
  });
});

/** Polls `check` every 100 ms, at most 5 s. */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let tries = 0; tries < 50; tries += 1) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}
