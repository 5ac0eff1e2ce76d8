import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@cairn/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey } from './key-file.js';

describe('loadOrCreateSigningKey', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cairn-cas-token-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a new key with mode 0600 and reloads the same kid', async () => {
    const path = join(directory, '.cairn', 'cas-signing-key.json');
    const created = await loadOrCreateSigningKey(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const reloaded = await loadOrCreateSigningKey(path);
    expect(reloaded.kid).toBe(created.kid);
    expect(reloaded.publicJwk).toEqual(created.publicJwk);
  });

  it('gives concurrent creators the one key that ended up on disk', async () => {
    const path = join(directory, 'key.json');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateSigningKey(path)));
    const onDisk = await loadOrCreateSigningKey(path);
    expect(new Set(keys.map((key) => key.kid))).toEqual(new Set([onDisk.kid]));
  });

  it('refuses a key file other users can read', async () => {
    const path = join(directory, 'key.json');
    await loadOrCreateSigningKey(path);
    await chmod(path, 0o644);
    await expect(loadOrCreateSigningKey(path)).rejects.toMatchObject({
      code: Code.FailedPrecondition,
      message: expect.stringContaining('chmod 600'),
    });
  });

  it('refuses a damaged key file without quoting it', async () => {
    const path = join(directory, 'key.json');
    await writeFile(path, '{"kty":"EC","d":"c2VjcmV0LXNjYWxhcg"', { mode: 0o600 });
    const error = await loadOrCreateSigningKey(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: Code.FailedPrecondition });
    expect(String((error as Error).message)).not.toContain('c2VjcmV0');
    expect((error as Error).cause).toBeUndefined();
  });

  it('honours an aborted signal', async () => {
    await expect(
      loadOrCreateSigningKey(join(directory, 'key.json'), AbortSignal.abort()),
    ).rejects.toMatchObject({
      code: Code.Canceled,
    });
  });
});
