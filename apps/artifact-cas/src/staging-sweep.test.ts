import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, bytesOf, startTestCas, type TestCas } from './testing/cas-harness.js';

let t: TestCas;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(JSON.parse(line)) });
  t = await startTestCas({}, { logger });
});

afterAll(async () => {
  await t.close();
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('abandoned filesystem uploads', () => {
  it('are removed when the CAS first opens the backend, while recent ones stay', async () => {
    const staging = join(t.location, '.staging');
    await mkdir(staging, { recursive: true, mode: 0o700 });
    const stale = join(staging, 'ab-crashed.partial');
    const recent = join(staging, 'cd-resumable.partial');
    await writeFile(stale, 'left by a crash');
    await writeFile(recent, 'an upload another replica may resume');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(stale, twoDaysAgo, twoDaysAgo);

    const bytes = bytesOf(1024);
    const response = await fetch(`${t.cas.httpUrl}/v1/blobs/${blobOf(bytes).digest}`, {
      method: 'PUT',
      body: bytes,
      headers: { authorization: `Bearer ${await t.uploadToken()}` },
    });
    expect(response.status).toBe(201);

    // The sweep runs beside the PUT, and says what it removed once it has looked at every file.
    await expect
      .poll(() => logLines.some((line) => line.msg === 'removed abandoned uploads' && line.removed === 1), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(await exists(stale)).toBe(false);
    expect(await exists(recent)).toBe(true);
  });
});
