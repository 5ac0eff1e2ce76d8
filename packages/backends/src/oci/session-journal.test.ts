import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sha256Hex } from '@cairn/digest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import type { Driver, StagedBlob } from '../core/provider.js';
import { openResumableSha256 } from '../core/resumable-sha256.js';
import { freshRepository, never, randomBlob } from '../testing/fixtures.js';
import { RegistryStorage } from '../testing/inspect/registry.js';
import { parseCheckpointManifest } from './checkpoint-manifest.js';
import { createOciDriver } from './driver.js';
import { OCI_IMAGE_MANIFEST } from './manifest.js';
import { SessionJournal } from './session-journal.js';

const KiB = 1024;
const CHUNK = 64 * KiB;

describe('oci upload sessions noted in a journal', () => {
  const { host, storageDir } = inject('testServers').oci.open;
  let journalDir: string;

  beforeAll(async () => {
    journalDir = await mkdtemp(join(tmpdir(), 'cairn-oci-journal-'));
  });

  afterAll(async () => {
    await rm(journalDir, { recursive: true, force: true });
  });

  function setup(purpose: string) {
    const repository = freshRepository(purpose);
    const location = `${host}/${repository}`;
    const driver = createOciDriver({ location, credentials: {}, journalDir }, { chunkSize: CHUNK });
    const journal = new SessionJournal(journalDir, location);
    return { driver, journal, storage: new RegistryStorage(storageDir, repository) };
  }

  /** Stages `size` bytes, waits for the PATCHes to land, then drops the upload as a killed process would. */
  async function crashMidUpload(driver: Driver, size: number): Promise<StagedBlob> {
    const { bytes, blob } = randomBlob(size + CHUNK);
    const staged = await driver.stage(blob, {}, never);
    await staged.write(bytes.subarray(0, size), never);
    await sleep(300);
    return staged;
  }

  async function notes(journal: SessionJournal): Promise<string[]> {
    return (await readdir(journal.dir).catch(() => [])).filter((name) => name.endsWith('.session'));
  }

  async function age(journal: SessionJournal, seconds: number): Promise<void> {
    const then = new Date(Date.now() - seconds * 1000);
    for (const name of await notes(journal)) await utimes(join(journal.dir, name), then, then);
  }

  it('notes each open session with its newest Location and drops the note when the upload ends', async () => {
    const { driver, journal, storage } = setup('journal-life');
    const { bytes, blob } = randomBlob(3 * CHUNK + 5);
    const staged = await driver.stage(blob, {}, never);
    const [name] = await notes(journal);
    if (name === undefined) throw new Error('no note was written');
    const opened = await readFile(join(journal.dir, name), 'utf8');
    await staged.write(bytes, never);
    await sleep(300);
    expect(await readFile(join(journal.dir, name), 'utf8')).not.toBe(opened);
    await staged.commit(never);
    expect(await notes(journal)).toEqual([]);

    const other = randomBlob(2 * CHUNK);
    const aborted = await driver.stage(other.blob, {}, never);
    await aborted.write(other.bytes.subarray(0, CHUNK), never);
    await aborted.abort();
    expect(await notes(journal)).toEqual([]);
    expect(await storage.leftovers()).toEqual([]);
  });

  it('cancels the sessions a crash left once their notes are old enough, and spares younger ones', async () => {
    const { driver, journal, storage } = setup('journal-sweep');
    await crashMidUpload(driver, 0);
    await crashMidUpload(driver, 2 * CHUNK);
    expect(await storage.leftovers()).toHaveLength(2);

    expect(await driver.sweepLeftovers?.(60_000, never)).toEqual({ removed: 0, left: 0 });
    expect(await storage.leftovers()).toHaveLength(2);

    await age(journal, 120);
    expect(await driver.sweepLeftovers?.(60_000, never)).toEqual({ removed: 2, left: 0 });
    expect(await storage.leftovers()).toEqual([]);
    expect(await notes(journal)).toEqual([]);
  });

  it('leaves to the registry a session that moved past its note, and ignores notes naming another origin', async () => {
    const { driver, journal, storage } = setup('journal-unaddressable');
    const { bytes, blob } = randomBlob(3 * CHUNK);
    const staged = await driver.stage(blob, {}, never);
    const [name] = await notes(journal);
    if (name === undefined) throw new Error('no note was written');
    const path = join(journal.dir, name);
    const opened = await readFile(path, 'utf8');
    await staged.write(bytes.subarray(0, 2 * CHUNK), never);
    await sleep(300);
    // As if the crash cut a PATCH: the registry kept bytes the note's Location does not account for.
    await writeFile(path, opened);
    await writeFile(
      join(journal.dir, 'elsewhere.session'),
      'http://127.0.0.2:1/v2/x/blobs/uploads/y?_state=z',
    );
    await age(journal, 120);

    expect(await driver.sweepLeftovers?.(60_000, never)).toEqual({ removed: 0, left: 1 });
    expect(await notes(journal)).toEqual([]);
    // distribution 2.8 closes such a session without removing it; its upload purging does that.
    expect(await storage.leftovers()).toHaveLength(1);
  });

  it('deletes the checkpoints of a session a crash cut, which no process can continue', async () => {
    const repository = freshRepository('journal-checkpoints');
    const location = `${host}/${repository}`;
    const sha = await openResumableSha256();
    if ('unavailable' in sha) throw new Error(sha.unavailable);
    const driver = createOciDriver(
      { location, credentials: {}, journalDir },
      { chunkSize: CHUNK, resumableSha256: sha },
    );
    const journal = new SessionJournal(journalDir, location);
    const storage = new RegistryStorage(storageDir, repository);
    const { bytes, blob } = randomBlob(3 * CHUNK + 5);
    const upload = await createBlobStore(driver).beginUpload(blob, never, {}, 'a cut upload');
    const [name] = await notes(journal);
    if (name === undefined) throw new Error('no note was written');
    const path = join(journal.dir, name);
    const [opened] = (await readFile(path, 'utf8')).split('\n');
    await upload.write(bytes.subarray(0, 2 * CHUNK), never);
    // Until both chunks are answered and checkpointed (the second save waits out the 1 s interval), and
    // the note names that one checkpoint alone: nothing moves after that.
    const tag = `cairn-upload-${sha256Hex('a cut upload')}`;
    let noted: string[] = [];
    for (let tries = 0; tries < 100; tries += 1) {
      noted = (await readFile(path, 'utf8')).split('\n');
      const digests = noted.filter((line) => line.startsWith('sha256:'));
      const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        headers: { accept: OCI_IMAGE_MANIFEST },
      });
      const saved = parseCheckpointManifest(new Uint8Array(await response.arrayBuffer()));
      const savedDigest = response.headers.get('docker-content-digest');
      if (saved?.offset === 2 * CHUNK && digests.length === 1 && digests[0] === savedDigest) break;
      await sleep(100);
    }
    expect(noted.filter((line) => line.startsWith('sha256:'))).toHaveLength(1);
    expect(await storage.leftovers()).toEqual([
      `upload checkpoint ${tag}`,
      expect.stringMatching(/^upload session /),
    ]);
    // As if the crash cut a PATCH: the session moved past every Location noted, the checkpoint's included.
    await writeFile(path, [opened, ...noted.slice(1)].join('\n'));
    await age(journal, 120);

    expect(await driver.sweepLeftovers?.(60_000, never)).toEqual({ removed: 1, left: 1 });
    expect(await notes(journal)).toEqual([]);
    // Only the session distribution 2.8 closed without removing is left, for its upload purging.
    expect(await storage.leftovers()).toEqual([expect.stringMatching(/^upload session /)]);
  });

  it('finds nothing to sweep without a journal', async () => {
    const repository = freshRepository('no-journal');
    const driver = createOciDriver({ location: `${host}/${repository}`, credentials: {} });
    expect(await driver.sweepLeftovers?.(0, never)).toEqual({ removed: 0, left: 0 });
  });
});
