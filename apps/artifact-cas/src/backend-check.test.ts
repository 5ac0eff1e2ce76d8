import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fromGrpcError } from '@cairn/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCas, type TestCas } from './testing/cas-harness.js';
import { expectStatus } from './testing/expect-status.js';

let t: TestCas;

beforeAll(async () => {
  t = await startTestCas();
});

afterAll(async () => {
  await t?.close();
});

const filesystem = (id: string, location: string) => ({ id, provider: 'filesystem' as const, location });

describe('BackendService.CheckWriteAccess', () => {
  it("passes for a directory under a root, leaving only the provider's own subfolders", async () => {
    const location = join(t.root, 'checked');
    await mkdir(location);
    const answer = await t.grpc.checkWriteAccess(
      await t.uploadToken({ backend: filesystem('checked', location) }),
    );
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(0n);
    expect((await readdir(location)).sort()).toEqual(['.staging', 'sha256']);
  });

  it('refuses a directory this CAS does not serve, naming the ones it does', async () => {
    const elsewhere = join(t.dir, 'elsewhere');
    await mkdir(elsewhere);
    const refusal = await expectStatus(
      t.grpc.checkWriteAccess(await t.uploadToken({ backend: filesystem('outside', elsewhere) })),
      'PERMISSION_DENIED',
    );
    expect(refusal.details).toBe(
      `directory ${elsewhere} is not served by this CAS, which serves ${t.root}; choose a directory under it (\`cairn cas-backend add filesystem --path DIR\`), or have an operator add it to the CAS's backends.filesystemRoots`,
    );
    expect(fromGrpcError(refusal, { service: 'the CAS', address: '' }).details).toMatchObject({
      reason: 'filesystem_root_not_allowed',
      served: t.root,
    });
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a directory that does not exist, and creates nothing', async () => {
    const missing = join(t.root, 'not-made-yet');
    const refusal = await expectStatus(
      t.grpc.checkWriteAccess(await t.uploadToken({ backend: filesystem('missing', missing) })),
      'FAILED_PRECONDITION',
    );
    expect(refusal.details).toBe(
      `directory ${missing} does not exist on the CAS's host; create it and try again`,
    );
    expect(await readdir(t.root)).not.toContain('not-made-yet');
  });

  it('needs an upload token', async () => {
    await expectStatus(t.grpc.checkWriteAccess(await t.downloadToken()), 'PERMISSION_DENIED', /uploads/);
    await expectStatus(t.grpc.checkWriteAccess(undefined), 'UNAUTHENTICATED');
  });
});

describe('BackendService.CheckWriteAccess bounded by its timeout', () => {
  let slow: TestCas;

  beforeAll(async () => {
    slow = await startTestCas({ backends: { writeCheckTimeoutMs: 100 } });
  });

  afterAll(async () => {
    await slow?.close();
  });

  it('answers DEADLINE_EXCEEDED when the backend does not answer in time', async () => {
    // A registry address that accepts connections but never answers: the OCI probe hangs.
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const token = await slow.uploadToken({
        backend: { id: 'stuck', provider: 'oci', location: `127.0.0.1:${port}/cairn/stuck` },
      });
      await expectStatus(slow.grpc.checkWriteAccess(token), 'DEADLINE_EXCEEDED', /within 100 ms/);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
