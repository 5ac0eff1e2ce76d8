import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import { chunksOf, freshRepository, never, randomBlob } from '../testing/fixtures.js';
import { createOciDriver } from './driver.js';
import { EMPTY_CONFIG, EVIDENCE_ARTIFACT_TYPE, evidenceTag, OCI_IMAGE_MANIFEST } from './manifest.js';

const run = promisify(execFile);

// Debian's skopeo is an independent OCI client: what Cairn pushes must be a well-formed artifact to it.
describe('skopeo reads what the oci provider pushed', () => {
  const { host } = inject('testServers').oci.open;
  const repository = freshRepository('skopeo');
  const { bytes, blob } = randomBlob(2 * 1024 * 1024 + 99);
  const reference = () => `docker://${host}/${repository}:${evidenceTag(blob.hex)}`;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-skopeo-'));
    const store = createBlobStore(
      createOciDriver({ location: `${host}/${repository}`, credentials: {} }, { chunkSize: 512 * 1024 }),
    );
    await store.upload(chunksOf(bytes, 300 * 1024), blob, never, {
      fileName: 'provenance.intoto.jsonl',
      mediaType: 'application/vnd.in-toto+json',
    });
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('inspects the artifact manifest and its empty config', async () => {
    const { stdout } = await run('skopeo', ['inspect', '--raw', '--tls-verify=false', reference()]);
    const manifest = JSON.parse(stdout) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      mediaType: OCI_IMAGE_MANIFEST,
      artifactType: EVIDENCE_ARTIFACT_TYPE,
      config: { digest: EMPTY_CONFIG.digest },
      layers: [{ digest: `sha256:${blob.hex}`, size: blob.size, mediaType: 'application/vnd.in-toto+json' }],
    });
    // The config is the empty descriptor's `{}`: skopeo sees an artifact, not a container image.
    const { stdout: config } = await run('skopeo', [
      'inspect',
      '--config',
      '--raw',
      '--tls-verify=false',
      reference(),
    ]);
    expect(config.trim()).toBe('{}');
  });

  it('copies the artifact to a directory with the layer byte for byte', async () => {
    await run('skopeo', ['copy', '--src-tls-verify=false', reference(), `dir:${dir}`]);
    const files = await readdir(dir);
    expect(files).toContain(blob.hex);
    expect((await readFile(join(dir, blob.hex))).equals(bytes)).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({
      artifactType: EVIDENCE_ARTIFACT_TYPE,
    });
  });
});
