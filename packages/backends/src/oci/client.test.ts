import { readFile, rm, writeFile } from 'node:fs/promises';
import { CairnError, Code } from '@cairn/errors';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import { chunksOf, freshRepository, never, randomBlob } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { type RegistryProxy, startRegistryProxy } from '../testing/oci/registry-proxy.js';
import { OciClient } from './client.js';
import { createOciDriver } from './driver.js';
import { parseOciLocation } from './location.js';
import { evidenceManifest, evidenceTag, OCI_IMAGE_MANIFEST } from './manifest.js';

/**
 * distribution 2.8 rewrites a link file in place (truncate, then write) each time an upload of its blob
 * or a push of its tag finishes, so a request that reads the link in between finds it empty. Each test
 * here empties a link the way that moment leaves it, and a proxy in front of the real registry records
 * every answer and, where the test says so, puts the link back once the registry answered with it empty.
 * One more test breaks the repository's sessions folder the same way, for the POST that opens a session.
 */
describe('oci client while the registry rewrites a link file', () => {
  const { host, storageDir } = inject('testServers').oci.open;
  let proxy: RegistryProxy | undefined;

  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  /**
   * A repository holding one evidence blob whose `tear` link (if any) is emptied, and a client that reaches
   * it through a recording proxy; the proxy restores the link once the registry answers `healOn`.
   */
  async function setUp(purpose: string, torn: { tear?: 'layer' | 'tag' | 'uploads'; healOn?: number } = {}) {
    const repository = freshRepository(purpose);
    const storage = new RegistryStorage(storageDir, repository);
    const { bytes, blob } = randomBlob(10_000);
    const direct = createOciDriver({ location: `${host}/${repository}`, credentials: {} });
    await createBlobStore(direct).upload(chunksOf(bytes, 4096), blob, never);
    const answers: string[] = [];
    let restore: (() => Promise<void>) | undefined;
    if (torn.tear === 'uploads') {
      // A file where the sessions' folder belongs: the registry cannot open a session, and answers 500.
      await rm(storage.uploadsPath(), { recursive: true, force: true });
      await writeFile(storage.uploadsPath(), '');
      restore = () => rm(storage.uploadsPath(), { force: true });
    } else if (torn.tear) {
      const link =
        torn.tear === 'layer' ? storage.layerLinkPath(blob.hex) : storage.tagLinkPath(evidenceTag(blob.hex));
      const content = await readFile(link);
      await writeFile(link, '');
      restore = () => writeFile(link, content);
    }
    proxy = await startRegistryProxy(host, async (answer) => {
      answers.push(`${answer.method} ${answer.status}`);
      if (answer.status === torn.healOn) await restore?.();
    });
    const location = `${proxy.host}/${repository}`;
    return {
      blob,
      answers,
      client: new OciClient(parseOciLocation(location), {}),
      driver: createOciDriver({ location, credentials: {} }),
    };
  }

  it('repeats a manifest PUT refused as DIGEST_INVALID because a layer link read empty', async () => {
    const { blob, answers, client } = await setUp('torn-manifest-put', { tear: 'layer', healOn: 400 });
    const manifest = evidenceManifest(blob.hex, blob.size, { fileName: 'again.json' });
    await client.putManifest(evidenceTag(blob.hex), OCI_IMAGE_MANIFEST, manifest, never);
    expect(answers).toEqual(['PUT 400', 'PUT 201']);
    const stored = await client.getManifest(evidenceTag(blob.hex), OCI_IMAGE_MANIFEST, never);
    expect(Buffer.from(stored?.bytes ?? []).equals(Buffer.from(manifest))).toBe(true);
  });

  it('repeats a blob HEAD answered 500 because the layer link read empty', async () => {
    const { blob, answers, client } = await setUp('torn-head', { tear: 'layer', healOn: 500 });
    expect(await client.blobExists(blob.hex, never)).toBe(true);
    expect(answers).toEqual(['HEAD 500', 'HEAD 200']);
  });

  it('repeats a tag read answered 500 because the tag link read empty, so stat finds the blob', async () => {
    const { blob, answers, driver } = await setUp('torn-tag', { tear: 'tag', healOn: 500 });
    expect(await driver.stat(blob.hex, never)).toMatchObject(blob);
    expect(answers).toEqual(['GET 500', 'GET 200']);
  });

  it('repeats the POST that opens an upload session when the registry answers 500', async () => {
    const { answers, client } = await setUp('post-500', { tear: 'uploads', healOn: 500 });
    const location = await client.startUpload(never);
    expect(answers).toEqual(['POST 500', 'POST 202']);
    await client.cancelUpload(location, never);
  });

  it('gives up as UNAVAILABLE after four attempts when the 500 lasts', async () => {
    const { blob, answers, client } = await setUp('lasting-500', { tear: 'layer' });
    const error = await client.blobExists(blob.hex, never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).code).toBe(Code.Unavailable);
    expect((error as CairnError).message).toContain('retry later');
    expect(answers).toEqual(['HEAD 500', 'HEAD 500', 'HEAD 500', 'HEAD 500']);
  });

  it('does not repeat a refusal that stays true, such as a manifest that is not one', async () => {
    const { answers, client } = await setUp('not-transient');
    const error = await client
      .putManifest('cairn-not-a-manifest', OCI_IMAGE_MANIFEST, new TextEncoder().encode('not json'), never)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CairnError);
    expect((error as CairnError).code).toBe(Code.FailedPrecondition);
    expect(answers).toEqual(['PUT 400']);
  });

  it('stops repeating when the signal fires during a pause', async () => {
    const { blob, answers, client } = await setUp('aborted-retry', { tear: 'layer' });
    const controller = new AbortController();
    const pending = client.blobExists(blob.hex, controller.signal).catch((caught: unknown) => caught);
    while (answers.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const error = await pending;
    expect((error as CairnError).code).toBe(Code.Canceled);
    expect(answers).toHaveLength(1);
  });
});
