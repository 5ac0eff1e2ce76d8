import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobStore } from '../core/blob-store.js';
import {
  describeGenerated,
  MiB,
  pseudoRandomChunks,
  pseudoRandomSource,
} from '../testing/conformance/pseudo-random.js';
import { flipStoredByte, listLeftovers } from '../testing/inspect/filesystem.js';
import { DIRECTORY_MODE, FILE_MODE } from './client.js';
import type { FilesystemDriver } from './driver.js';
import { fromFilesystemError } from './errors.js';
import { filesystemProvider } from './provider.js';

const live = new AbortController().signal;

/** A driver on `location`, made first unless `create` is false (the provider never makes its root). */
async function driverAt(location: string, create = true): Promise<FilesystemDriver> {
  if (create) await mkdir(location, { recursive: true });
  return filesystemProvider.createDriver({
    location: filesystemProvider.parseLocation(location),
    credentials: filesystemProvider.parseCredentials({}),
  });
}

async function failure(run: Promise<unknown> | (() => unknown)): Promise<CairnError> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected a CairnError');
}

describe('filesystem driver', () => {
  let parent = '';
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'cairn-fs-'));
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('lays blobs out by digest with a metadata sidecar, private to the CAS user', async () => {
    const driver = await driverAt(join(parent, 'layout'));
    const store = createBlobStore(driver);
    const blob = await describeGenerated('layout', 4096);
    await store.upload(pseudoRandomSource('layout', blob.size), blob, live, {
      fileName: 'sbom.spdx.json',
      mediaType: 'application/spdx+json',
    });
    const path = join(parent, 'layout', 'sha256', blob.hex.slice(0, 2), blob.hex);
    const file = await stat(path);
    expect(file.size).toBe(blob.size);
    expect(file.mode & 0o777).toBe(FILE_MODE);
    expect((await stat(join(parent, 'layout', 'sha256'))).mode & 0o777).toBe(DIRECTORY_MODE);
    expect(JSON.parse(await readFile(`${path}.meta`, 'utf8'))).toEqual({
      fileName: 'sbom.spdx.json',
      mediaType: 'application/spdx+json',
    });
    expect((await stat(`${path}.meta`)).mode & 0o777).toBe(FILE_MODE);
    expect(await readdir(join(parent, 'layout', '.staging'))).toEqual([]);
    await store.close();
  });

  it('refuses metadata too large to be a file name', async () => {
    const store = createBlobStore(await driverAt(join(parent, 'big-meta')));
    const blob = await describeGenerated('big-meta', 10);
    const error = await failure(
      store.upload(pseudoRandomSource('big-meta', 10), blob, live, { fileName: 'x'.repeat(70_000) }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
  });

  it('ignores a sidecar a crashed commit left without its blob, and replaces it on the next upload', async () => {
    const driver = await driverAt(join(parent, 'orphan'));
    const store = createBlobStore(driver);
    const blob = await describeGenerated('orphan', 100);
    await driver.checkWriteAccess(live);
    await mkdir(driver.layout.shardDir(blob.hex), { recursive: true });
    await writeFile(driver.layout.metaPath(blob.hex), JSON.stringify({ fileName: 'stale.txt' }));
    expect(await store.exists(blob.hex, live)).toBe(false);
    await store.upload(pseudoRandomSource('orphan', 100), blob, live);
    expect(await store.describe(blob.hex, live)).toEqual(blob);
  });

  it('leaks no file descriptors, whatever becomes of uploads and reads', async () => {
    const driver = await driverAt(join(parent, 'fds'));
    const store = createBlobStore(driver);
    const openFds = async () => (await readdir('/proc/self/fd')).length;
    // Node closes a FileHandle dropped without close() when it is garbage-collected, with a warning; a
    // collection during the test would hide such a leak from the count, but not from this listener.
    const collectedHandles: string[] = [];
    const onWarning = (warning: Error) => {
      if (/file descriptor/i.test(warning.message)) collectedHandles.push(warning.message);
    };
    process.on('warning', onWarning);
    const blob = await describeGenerated('fds', 3 * MiB);
    await store.checkWriteAccess(live);
    const before = await openFds();

    await store.upload(pseudoRandomSource('fds', blob.size), blob, live);
    await failure(
      store.upload(pseudoRandomSource('not-fds', blob.size), { ...blob, hex: 'a'.repeat(64) }, live),
    );
    const controller = new AbortController();
    const aborted = (async function* () {
      for (const chunk of pseudoRandomChunks('fds-2', 2 * MiB)) {
        yield chunk;
        controller.abort();
      }
    })();
    await failure(store.upload(aborted, await describeGenerated('fds-2', 2 * MiB), controller.signal));
    const upload = await store.beginUpload(await describeGenerated('fds-3', MiB), live);
    await upload.write(Buffer.alloc(1000), live);
    await upload.abort();

    for await (const chunk of (await store.download(blob.hex, { offset: 0 }, live)).body)
      expect(chunk).toBeTruthy();
    for await (const _ of (await store.download(blob.hex, { offset: MiB, length: 10 }, live)).body) break;
    const early = new AbortController();
    const canceled = (await store.download(blob.hex, { offset: 0 }, early.signal)).body;
    await failure(
      (async () => {
        for await (const _ of canceled) early.abort();
      })(),
    );
    await store.download(blob.hex, { offset: 0 }, live); // a body nobody reads holds no descriptor
    await flipStoredByte(driver.layout, blob.hex, live);
    await failure(
      (async () => {
        for await (const _ of (await store.download(blob.hex, { offset: 0 }, live)).body);
      })(),
    );

    // A destroyed stream closes its descriptor asynchronously; let those closes run.
    for (let turn = 0; turn < 20 && (await openFds()) !== before; turn++) await nextTurn();
    expect(await openFds()).toBe(before);
    process.off('warning', onWarning);
    expect(collectedHandles).toEqual([]);
    expect(await listLeftovers(driver.layout, live)).toEqual([]);
  });

  it('aborts uploads still in progress when the driver closes', async () => {
    const driver = await driverAt(join(parent, 'close'));
    const store = createBlobStore(driver);
    const upload = await store.beginUpload(await describeGenerated('close', MiB), live);
    await upload.write(Buffer.alloc(4096), live);
    expect(await readdir(driver.layout.stagingDir)).toHaveLength(1);
    await store.close();
    expect(await readdir(driver.layout.stagingDir)).toEqual([]);
    expect((await failure(store.beginUpload(await describeGenerated('late', 1), live))).code).toBe(
      Code.FailedPrecondition,
    );
  });

  it('sweeps staging files idle longer than asked, sparing uploads in progress', async () => {
    const driver = await driverAt(join(parent, 'sweep'));
    const store = createBlobStore(driver);
    await driver.checkWriteAccess(live);
    const stale = join(driver.layout.stagingDir, 'deadbeefdead-0011223344556677.partial');
    const fresh = join(driver.layout.stagingDir, 'deadbeefdead-8899aabbccddeeff.partial');
    const foreign = join(driver.layout.stagingDir, 'not-ours.txt');
    const staleProbe = join(driver.layout.root, '.probe-0011223344556677');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const path of [stale, fresh, foreign, staleProbe]) await writeFile(path, 'x');
    for (const path of [stale, foreign, staleProbe]) await utimes(path, twoHoursAgo, twoHoursAgo);
    const blob = await describeGenerated('sweep', 2 * MiB);
    const upload = await store.beginUpload(blob, live);
    const chunks = pseudoRandomChunks('sweep', blob.size);
    const first = chunks.next();
    if (!first.done) await upload.write(first.value, live);

    expect(await driver.sweepStaging(60 * 60 * 1000, live)).toBe(2);
    expect((await readdir(driver.layout.stagingDir)).sort()).toHaveLength(3);
    expect(await driver.sweepStaging(0, live)).toBe(1);
    for (const chunk of chunks) await upload.write(chunk, live);
    await upload.finish(live);
    expect(await store.exists(blob.hex, live)).toBe(true);
    expect(await readdir(driver.layout.stagingDir)).toEqual(['not-ours.txt']);
  });

  it('keeps a keyed upload staged when suspended or closed, for any process to continue', async () => {
    const driver = await driverAt(join(parent, 'keyed'));
    const store = createBlobStore(driver);
    expect(store.resumableUploads).toBe(true);
    const blob = await describeGenerated('keyed', 3 * MiB);
    const chunks = [...pseudoRandomChunks('keyed', blob.size)];
    const first = await store.beginUpload(blob, live, {}, 'upload-1');
    await first.write(chunks[0] ?? Buffer.alloc(0), live);
    // Another open of the key (another replica) is refused while this one holds it.
    expect((await failure(store.beginUpload(blob, live, {}, 'upload-1'))).code).toBe(Code.Aborted);
    await first.suspend();
    expect(await store.stagedBytes(blob, 'upload-1', live)).toBe(first.received);

    // A second driver on the folder, as another process would open it, continues where the first stopped.
    const other = createBlobStore(await driverAt(join(parent, 'keyed')));
    const second = await other.beginUpload(blob, live, {}, 'upload-1');
    expect(second.received).toBe(first.received);
    await second.write(chunks[1] ?? Buffer.alloc(0), live);
    await other.close();
    expect(await store.stagedBytes(blob, 'upload-1', live)).toBe(second.received);

    const third = await store.beginUpload(blob, live, {}, 'upload-1');
    for (const chunk of chunks.slice(2)) await third.write(chunk, live);
    await third.finish(live);
    expect(await store.exists(blob.hex, live)).toBe(true);
    expect(await store.stagedBytes(blob, 'upload-1', live)).toBeUndefined();
    expect(await readdir(driver.layout.stagingDir)).toEqual([]);
  });

  it('sweeps no staged upload another open holds, however old', async () => {
    const driver = await driverAt(join(parent, 'sweep-locked'));
    const store = createBlobStore(driver);
    const blob = await describeGenerated('sweep-locked', MiB);
    const upload = await store.beginUpload(blob, live, {}, 'upload-2');
    await upload.write(Buffer.alloc(1024), live);
    const [name] = await readdir(driver.layout.stagingDir);
    const path = join(driver.layout.stagingDir, name ?? '');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(path, twoHoursAgo, twoHoursAgo);
    // Another process's driver sees an old file it does not hold: the lock tells it someone does.
    const other = await driverAt(join(parent, 'sweep-locked'));
    expect(await other.sweepStaging(60 * 60 * 1000, live)).toBe(0);
    await upload.suspend();
    await utimes(path, twoHoursAgo, twoHoursAgo);
    expect(await other.sweepStaging(60 * 60 * 1000, live)).toBe(1);
    expect(await store.stagedBytes(blob, 'upload-2', live)).toBeUndefined();
  });

  it('refuses a directory that does not exist and creates neither it nor its parents', async () => {
    const location = join(parent, 'missing', 'blobs');
    const store = createBlobStore(await driverAt(location, false));
    const access = await failure(store.checkWriteAccess(live));
    expect(access).toMatchObject({
      code: Code.FailedPrecondition,
      message: `directory ${location} does not exist on the CAS's host; create it and try again`,
      details: { reason: 'directory_missing' },
    });
    const blob = await describeGenerated('missing', 10);
    const upload = await failure(store.upload(pseudoRandomSource('missing', 10), blob, live));
    expect(upload.details.reason).toBe('directory_missing');
    expect(await readdir(parent)).not.toContain('missing');

    const file = join(parent, 'plain-file');
    await writeFile(file, 'not a directory');
    const onFile = await failure(createBlobStore(await driverAt(file, false)).checkWriteAccess(live));
    expect(onFile).toMatchObject({ code: Code.FailedPrecondition, details: { reason: 'not_a_directory' } });
  });

  it('makes its staging and shard directories again when they vanish in use, and refuses a root that went away', async () => {
    const location = join(parent, 'vanishing');
    const driver = await driverAt(location);
    const store = createBlobStore(driver);
    const first = await describeGenerated('vanishing-1', 1000);
    await store.upload(pseudoRandomSource('vanishing-1', 1000), first, live, { fileName: 'a.txt' });
    await rm(driver.layout.stagingDir, { recursive: true });
    await rm(driver.layout.blobsDir, { recursive: true });
    const second = await describeGenerated('vanishing-2', 1000);
    const keyed = await store.beginUpload(second, live, { fileName: 'b.txt' }, 'vanishing-upload');
    for await (const chunk of pseudoRandomSource('vanishing-2', 1000)) await keyed.write(chunk, live);
    await keyed.finish(live);
    expect(await store.describe(second.hex, live)).toEqual({ ...second, fileName: 'b.txt' });
    await store.upload(pseudoRandomSource('vanishing-1', 1000), first, live);
    expect(await store.describe(first.hex, live)).toEqual(first);

    await rm(location, { recursive: true });
    const third = await describeGenerated('vanishing-3', 10);
    const error = await failure(store.upload(pseudoRandomSource('vanishing-3', 10), third, live));
    expect(error.details.reason).toBe('directory_missing');
    const keyedError = await failure(store.beginUpload(third, live, {}, 'vanishing-upload-2'));
    expect(keyedError.details.reason).toBe('directory_missing');
    expect(await readdir(parent)).not.toContain('vanishing');
  });

  it('explains a location under a regular file, naming the directory', async () => {
    const file = join(parent, 'a-file');
    await writeFile(file, 'not a directory');
    const location = join(file, 'blobs');
    const store = createBlobStore(await driverAt(location, false));
    const access = await failure(store.checkWriteAccess(live));
    expect(access.code).toBe(Code.FailedPrecondition);
    expect(access.message).toContain(location);
    expect(access.message).toContain('not a directory');
    const blob = await describeGenerated('nowhere', 10);
    const upload = await failure(store.upload(pseudoRandomSource('nowhere', 10), blob, live));
    expect(upload.code).toBe(Code.FailedPrecondition);
    expect((await failure(store.exists(blob.hex, live))).code).toBe(Code.FailedPrecondition);
  });

  it('reports a directory the CAS user may not write as PERMISSION_DENIED, naming it', async () => {
    await chmod(parent, 0o755);
    const locked = join(parent, 'locked');
    await mkdir(locked, { mode: 0o555 });
    const location = locked;
    const error = await checkWriteAccessAsAnotherUser(location);
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.message).toContain(location);
    expect(error.message).toContain('permission denied');
  });

  it('maps permission, read-only and full-disk errors to codes an operator can act on', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });
    const cases = [
      ['EACCES', Code.PermissionDenied, 'permission denied'],
      ['EPERM', Code.PermissionDenied, 'permission denied'],
      ['EROFS', Code.FailedPrecondition, 'read-only'],
      ['ENOSPC', Code.ResourceExhausted, 'no space left'],
      ['EDQUOT', Code.ResourceExhausted, 'quota'],
      ['ENOTDIR', Code.FailedPrecondition, 'not a directory'],
      ['EMFILE', Code.Unavailable, 'too many open files'],
      ['ENOENT', Code.Unavailable, 'went away while in use'],
      ['ESTALE', Code.Unavailable, 'check that it is mounted'],
      ['ENOTCONN', Code.Unavailable, 'went away while in use'],
      ['EWHATEVER', Code.Internal, 'EWHATEVER'],
    ] as const;
    for (const [name, code, words] of cases) {
      const error = fromFilesystemError(errno(name), '/srv/cairn', 'store a blob');
      expect(error.code, name).toBe(code);
      expect(error.message).toContain('/srv/cairn');
      expect(error.message).toContain(words);
      expect(error.details.errno).toBe(name);
    }
    expect(
      fromFilesystemError(new DOMException('stop', 'AbortError'), '/srv/cairn', 'read a blob').code,
    ).toBe(Code.Canceled);
  });
});

/**
 * Runs checkWriteAccess in a child process. Root ignores permission bits, so when the tests run as root
 * the child drops to `nobody`, for whom a root-owned 0555 directory is really unwritable.
 */
async function checkWriteAccessAsAnotherUser(location: string): Promise<{ code?: number; message?: string }> {
  const module = new URL('./index.ts', import.meta.url).href;
  const script = `
    import { filesystemProvider } from ${JSON.stringify(module)};
    const driver = await filesystemProvider.createDriver({ location: process.argv[1], credentials: {} });
    await driver.checkWriteAccess(new AbortController().signal).then(
      () => console.log('{}'),
      (error) => console.log(JSON.stringify({ code: error.code, message: error.message })),
    );`;
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '--eval', script, location],
    {
      ...asNobody,
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    },
  );
  return JSON.parse(stdout);
}
