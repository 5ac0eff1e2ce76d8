import { access, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCasClient } from '@cairn/cas-client';
import { Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, type E2eCas, sourceOf, startE2eCas, tempDir } from '../support/cas.js';
import { cleanUp } from '../support/clean-up.js';
import { recordFigures } from '../support/figures.js';
import { failureOf } from '../support/outcome.js';

const MiB = 1024 * 1024;

/**
 * Issue 14, part 2, for the filesystem provider: a directory cannot be stopped, and a TCP cut does not
 * apply. The fault is the backend's directory going away mid-upload (renamed, as a volume whose mount
 * point is gone looks to the CAS): the open staging file keeps taking bytes (POSIX), and the commit, which
 * works by path, finds the directory gone. See RELIABILITY.md for what this leaves untested.
 */
describe('filesystem: the backend directory goes away mid-upload', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let cas: E2eCas;
  let location: string;

  beforeAll(async () => {
    dir = await tempDir('fs-away');
    location = join(dir.path, 'roots', 'backend');
    await mkdir(location, { recursive: true });
    cas = await startE2eCas({ backends: { filesystemRoots: [join(dir.path, 'roots')] } });
  });
  afterAll(() =>
    cleanUp(
      () => cas?.close(),
      () => dir?.remove(),
    ),
  );

  it('the client gets UNAVAILABLE, nothing is visible in the directory, and the same client stores it once it is back', async () => {
    const backend = { id: 'fs-1', provider: 'filesystem' as const, location, secret: '' };
    const client = createCasClient({
      address: cas.address,
      token: await cas.mint('upload', backend),
      retry: { maxAttempts: 1 },
    });
    const away = `${location}.away`;
    try {
      const blob = blobOf(32 * MiB);
      let sent = 0;
      const upload = client.upload(sourceOf(blob), {
        onProgress: (progress) => {
          sent = progress.bytes;
        },
      });
      // Mid-upload means the CAS holds the staging file, not just that the client handed bytes to gRPC: on
      // a loaded machine the client can be megabytes ahead of a CAS that has not opened the upload yet, and
      // a directory gone before the open is (rightly) a different refusal, "does not exist".
      const staging = join(location, '.staging');
      while (sent < 8 * MiB || (await stagedBytes(staging, blob.hex)) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const faultAt = performance.now();
      await rename(location, away);
      const { error, afterMs } = await failureOf(upload, 10_000, faultAt);
      expect(error.code, error.message).toBe(Code.Unavailable);
      expect(error.message).toMatch(/went away while in use/);
      const stored = join(away, 'sha256', blob.hex.slice(0, 2), blob.hex);
      await expect(access(stored)).rejects.toMatchObject({ code: 'ENOENT' });

      // Back: the CAS's failed commit made the path anew (see RELIABILITY.md); the directory replaces it.
      await rm(location, { recursive: true, force: true });
      await rename(away, location);
      const backAt = performance.now();
      expect(await client.upload(sourceOf(blob))).toMatchObject({ existed: false });
      await access(join(location, 'sha256', blob.hex.slice(0, 2), blob.hex));
      recordFigures('filesystem directory gone mid-upload', {
        unavailableAfterMs: afterMs,
        secondUploadMs: Math.round(performance.now() - backAt),
      });
    } finally {
      client.close();
      await rename(away, location).catch(() => undefined);
    }
  });
});

/** Bytes in the CAS's staging file for the blob, 0 while there is none. */
async function stagedBytes(staging: string, hex: string): Promise<number> {
  const names = await readdir(staging).catch(() => [] as string[]);
  const name = names.find((entry) => entry.startsWith(hex.slice(0, 12)));
  if (name === undefined) return 0;
  return (await stat(join(staging, name)).catch(() => undefined))?.size ?? 0;
}
