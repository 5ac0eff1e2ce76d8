import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from './file-digest.js';

describe('digestFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cairn-digest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes a multi-chunk file and reports progress', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const path = join(dir, 'blob');
    await writeFile(path, bytes);
    const seen: number[] = [];
    const result = await digestFile(path, { onBytes: (count) => seen.push(count) });
    expect(result).toEqual({
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    });
    expect(seen.at(-1)).toBe(bytes.length);
  });

  it('names a missing file and says to check the path', async () => {
    const error = await digestFile(join(dir, 'missing')).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(CairnError);
    expect(error).toMatchObject({ code: Code.NotFound, message: expect.stringContaining('check the path') });
  });
});
