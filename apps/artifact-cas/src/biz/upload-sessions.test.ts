import { type BlobStore, BlobUpload, type SuspendableStagedBlob } from '@cairn/backends';
import { randomBlob } from '@cairn/backends/testing';
import { describe, expect, it } from 'vitest';
import { UploadSessions } from './upload-sessions.js';

/**
 * A staged blob whose suspend ends when the test says: a cloud upload's suspend stores the parts on their
 * way and saves the checkpoint, which takes as long as the storage server does.
 */
function slowSuspending(result: Promise<void>): SuspendableStagedBlob {
  return {
    write: async () => undefined,
    commit: async () => undefined,
    abort: async () => undefined,
    suspend: () => result,
  };
}

function deferred() {
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const promise = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  return { promise, ...settle };
}

async function expiredSession(suspend: Promise<void>) {
  const expired: { key: string; continuable: boolean }[] = [];
  const abortErrors: unknown[] = [];
  const sessions = new UploadSessions({
    resumeWindowMs: 10,
    maxOpen: 4,
    onExpired: (key, _received, continuable) => expired.push({ key, continuable }),
    onAbortError: (error) => abortErrors.push(error),
  });
  const { blob } = randomBlob(16);
  const session = await sessions.create('org/backend/upload', async () => ({
    upload: new BlobUpload(blob, slowSuspending(suspend)),
    backend: { value: {} as BlobStore, release: () => undefined },
  }));
  sessions.detach(session);
  return { sessions, expired, abortErrors };
}

describe('UploadSessions, a session whose resume window is over', () => {
  it('is reported as left to its checkpoint only once its suspend has finished', async () => {
    const suspend = deferred();
    const { sessions, expired } = await expiredSession(suspend.promise);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The window is over and the session is being let go, but its checkpoint is not saved yet.
    expect(sessions.get('org/backend/upload')).toBeDefined();
    expect(expired).toEqual([]);

    suspend.resolve();
    await expect.poll(() => expired).toEqual([{ key: 'org/backend/upload', continuable: true }]);
    expect(sessions.get('org/backend/upload')).toBeUndefined();
  });

  it('is reported as not continuable when its suspend fails', async () => {
    const suspend = deferred();
    const { expired, abortErrors } = await expiredSession(suspend.promise);
    await new Promise((resolve) => setTimeout(resolve, 50));
    suspend.reject(new Error('the storage server refused the checkpoint'));
    await expect.poll(() => expired).toEqual([{ key: 'org/backend/upload', continuable: false }]);
    expect(abortErrors).toHaveLength(1);
  });
});
