import { access, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CasClient, createCasClient, type RetryEvent } from '@cairn/cas-client';
import { publicJwks } from '@cairn/cas-token';
import { Code } from '@cairn/errors';
import { createFileSecretStore, type FileSecretStore } from '@cairn/secrets';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Backend,
  blobOf,
  type E2eCas,
  randomId,
  sourceOf,
  startE2eCas,
  tempDir,
} from '../support/cas.js';
import { cleanUp } from '../support/clean-up.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { recordFigures } from '../support/figures.js';
import { failureOf, within } from '../support/outcome.js';
import { runCairn, stopChildren } from '../support/processes.js';
import { type RemoteProvider, type StorageTarget, startStorageTarget } from '../support/storage-targets.js';

const MiB = 1024 * 1024;
/** Large enough for several parts, blocks or PATCHes of 8 MiB; small enough to keep the suite quick. */
const SIZE = 16 * MiB;
/** Where the fault strikes: bytes that reached (or left) the storage server. */
const CUT = 5 * MiB;
/**
 * The bound on one step of a backend transfer of the CAS the hung-server test uses: short so a hung server
 * is seen quickly, yet above what a healthy server takes for a step (an 8 MiB part to Swift) on a loaded
 * 2-core machine. The other tests use a CAS with a bound of 30 s, so a slow CI machine never fails them.
 */
const CALL_TIMEOUT_MS = 2_500;
/** How long the server stays away in the recovery tests. */
const OUTAGE_MS = 800;

/** How each provider's refusal names its server, so the client knows what is down. */
const NAMES_SERVER: Record<RemoteProvider, RegExp> = {
  oci: /registry 127\.0\.0\.1:\d+/,
  'aws-s3': /S3 endpoint http:\/\/127\.0\.0\.1:\d+/,
  'azure-blob': /Azure blob endpoint http:\/\/127\.0\.0\.1:\d+/,
};

/**
 * Whether an upload continues after the server came back from the bytes it stored: S3 parts and Azure
 * blocks the server did not take are kept by the CAS and sent again. A registry's upload session after a
 * failed PATCH is in a state the CAS cannot know (distribution keeps part of a cut PATCH and then refuses
 * the session's old Location), so OCI uploads start again from byte 0.
 */
const RESUMES: Record<RemoteProvider, boolean> = { oci: false, 'aws-s3': true, 'azure-blob': true };

/**
 * Issue 14, part 2: the storage server stopped (or hung) in the middle of an upload and of a download.
 * The CAS reaches the real server through a fault proxy on a fixed port, so "stopped" is the port
 * refusing connections and open ones reset, "hung" is connections accepted and never answered, and
 * "back" is the same server on the same port, with Cairn not restarted.
 */
export function storageOutageSuite(provider: RemoteProvider): void {
  describe(`${provider}: the storage server fails mid-transfer`, () => {
    let target: StorageTarget;
    let secrets: { path: string; remove: () => Promise<void> };
    let store: FileSecretStore;
    let cas: E2eCas;
    /** A second CAS on the same backend whose steps are bounded by CALL_TIMEOUT_MS. */
    let impatientCas: E2eCas;
    /** In front of the CAS: counts what clients send and receive. */
    let front: FaultProxy;
    let backend: Backend;
    const clients: CasClient[] = [];
    const client = async (role: 'upload' | 'download', retries: boolean, address = front.address) => {
      const created = createCasClient({
        address,
        token: await cas.mint(role, backend),
        ...(retries ? {} : { retry: { maxAttempts: 1 } }),
      });
      clients.push(created);
      return created;
    };

    beforeAll(async () => {
      target = await startStorageTarget(provider);
      secrets = await tempDir('secrets');
      store = createFileSecretStore({ directory: secrets.path, key: Buffer.alloc(32, 7) });
      const secret = Object.keys(target.credentials).length === 0 ? '' : `orgs/e2e/backends/${provider}`;
      if (secret !== '') await store.put(secret, target.credentials, AbortSignal.timeout(10_000));
      backend = { id: randomId(provider), provider, location: target.location, secret };
      cas = await startE2eCas({ backends: { callTimeoutMs: 30_000 } }, { secretStore: store });
      impatientCas = await startE2eCas(
        { backends: { callTimeoutMs: CALL_TIMEOUT_MS }, tokens: { jwks: publicJwks(cas.key) } },
        { secretStore: store },
      );
      front = await startFaultProxy(cas.address);
    });

    afterEach(async ({ task }) => {
      if (task.result?.state === 'fail') {
        // What the CAS said of the failed calls: its log lives only in memory here.
        for (const running of [cas, impatientCas]) {
          console.error(`the CAS's last warnings and errors:\n${running?.warnings().join('\n') || '(none)'}`);
        }
      }
      await stopChildren();
      for (const created of clients.splice(0)) created.close();
      // A test that failed midway must not leave the server away for the next one.
      await target?.proxy.restore();
    });

    afterAll(() =>
      cleanUp(
        () => front?.close(),
        () => cas?.close(),
        () => impatientCas?.close(),
        () => target?.stop(),
        () => secrets?.remove(),
      ),
    );

    it('upload: the client gets UNAVAILABLE naming the server, nothing is visible, and the same client stores it once the server is back', async () => {
      const blob = blobOf(SIZE);
      const uploader = await client('upload', false);
      target.proxy.resetCounts();
      const upload = uploader.upload(sourceOf(blob));
      await target.proxy.whenUp(CUT);
      const faultAt = performance.now();
      await target.proxy.fail('down');
      const { error, afterMs } = await failureOf(upload, 10_000, faultAt);
      expect(error.code, error.message).toBe(Code.Unavailable);
      expect(error.message).toMatch(NAMES_SERVER[provider]);
      expect(await target.visible(blob.hex)).toBe(false);

      await target.proxy.restore();
      expect(await uploader.findMissing([blob.digest])).toEqual([blob.digest]);
      const sentBefore = front.bytesUp();
      const backAt = performance.now();
      expect(await uploader.upload(sourceOf(blob))).toMatchObject({ existed: false, size: SIZE });
      const recoverMs = Math.round(performance.now() - backAt);
      expect(await target.visible(blob.hex)).toBe(true);
      await expectReadsBack(blob);
      recordFigures(`${provider} upload, server stopped`, {
        unavailableAfterMs: afterMs,
        secondUploadMs: recoverMs,
        bytesSentBeforeFault: sentBefore,
        bytesSentByRetry: front.bytesUp() - sentBefore,
        leftovers: (await target.leftovers()).length,
      });
    });

    it('upload: the cas-client retries through the outage and finishes, resuming where QueryWriteStatus says', async () => {
      const blob = blobOf(SIZE);
      const retries: RetryEvent[] = [];
      const uploader = await client('upload', true);
      target.proxy.resetCounts();
      front.resetCounts();
      const upload = uploader.upload(sourceOf(blob), { onRetry: (event) => retries.push(event) });
      await target.proxy.whenUp(CUT);
      await target.proxy.fail('down');
      await sleep(OUTAGE_MS);
      await target.proxy.restore();
      const backAt = performance.now();
      expect(await within(upload, 30_000, 'the retried upload')).toMatchObject({ existed: false });
      const recoverMs = Math.round(performance.now() - backAt);
      expect(retries.length).toBeGreaterThan(0);
      for (const retry of retries) expect(retry.error.code, retry.error.message).toBe(Code.Unavailable);
      expect(await target.visible(blob.hex)).toBe(true);
      await expectReadsBack(blob);
      const resumedAt = retries.at(-1)?.offset ?? -1;
      if (RESUMES[provider]) {
        // Continued from what the CAS held, not from 0: the client sent again only what was in flight.
        expect(resumedAt).toBeGreaterThan(0);
      } else {
        expect(resumedAt).toBe(0);
      }
      recordFigures(`${provider} upload with cas-client retries`, {
        outageMs: OUTAGE_MS,
        recoveredAfterBackMs: recoverMs,
        retries: retries.length,
        resumedAtByte: resumedAt,
        bytesSentInAll: front.bytesUp(),
        bytesSentAgain: front.bytesUp() - SIZE,
      });
    });

    it('upload: `cairn artifact upload` retries through the outage and stores the file', async () => {
      const blob = blobOf(SIZE);
      const dir = await tempDir('cli');
      try {
        const file = join(dir.path, 'evidence.bin');
        await writeFile(file, blob.bytes);
        target.proxy.resetCounts();
        front.resetCounts();
        const cli = runCairn(['artifact', 'upload', '--file', file, '--json'], {
          cwd: dir.path,
          env: { CAIRN_CAS_ADDRESS: front.address, CAIRN_CAS_TOKEN: await cas.mint('upload', backend) },
        });
        await within(target.proxy.whenUp(CUT), 30_000, 'the CLI reaching the storage server');
        await target.proxy.fail('down');
        await sleep(OUTAGE_MS);
        await target.proxy.restore();
        const backAt = performance.now();
        const run = await within(cli.done, 60_000, 'cairn artifact upload');
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ digest: blob.digest, size: SIZE, existed: false });
        expect(run.stderr).toMatch(/retrying from byte \d+ \(attempt \d+\)/);
        if (RESUMES[provider]) expect(run.stderr).toMatch(/retrying from byte [1-9]\d* /);
        expect(await target.visible(blob.hex)).toBe(true);
        recordFigures(`${provider} cairn artifact upload`, {
          outageMs: OUTAGE_MS,
          exitedAfterBackMs: Math.round(performance.now() - backAt),
          retryNotes: run.stderr.match(/retrying from byte/g)?.length ?? 0,
          bytesSentAgain: front.bytesUp() - SIZE,
        });
      } finally {
        await dir.remove();
      }
    });

    it('download: the client gets UNAVAILABLE, no file appears, and the same client reads it once the server is back', async () => {
      const blob = await storedBlob();
      const dir = await tempDir('download');
      try {
        const downloader = await client('download', false);
        const path = join(dir.path, 'copy.bin');
        target.proxy.resetCounts();
        const download = downloader.download(blob.digest, path);
        await target.proxy.whenDown(CUT);
        const faultAt = performance.now();
        await target.proxy.fail('down');
        const { error, afterMs } = await failureOf(download, 10_000, faultAt);
        expect(error.code, error.message).toBe(Code.Unavailable);
        expect(error.message).toMatch(NAMES_SERVER[provider]);
        expect(await readdir(dir.path)).toEqual([]);

        await target.proxy.restore();
        const backAt = performance.now();
        expect(await downloader.download(blob.digest, path)).toMatchObject({ verified: true, size: SIZE });
        await access(path);
        recordFigures(`${provider} download, server stopped`, {
          unavailableAfterMs: afterMs,
          secondDownloadMs: Math.round(performance.now() - backAt),
        });
      } finally {
        await dir.remove();
      }
    });

    it('download: the cas-client retries through the outage and resumes at the bytes it has', async () => {
      const blob = await storedBlob();
      const dir = await tempDir('download');
      try {
        const retries: RetryEvent[] = [];
        const downloader = await client('download', true);
        const path = join(dir.path, 'copy.bin');
        target.proxy.resetCounts();
        front.resetCounts();
        // What had reached the client when it retried: the first attempt's bytes, delivered or buffered.
        let bytesBeforeRetry = 0;
        const download = downloader.download(blob.digest, path, {
          onRetry: (event) => {
            retries.push(event);
            bytesBeforeRetry = front.bytesDown();
          },
        });
        await target.proxy.whenDown(CUT);
        await target.proxy.fail('down');
        await sleep(OUTAGE_MS);
        await target.proxy.restore();
        const backAt = performance.now();
        expect(await within(download, 30_000, 'the retried download')).toMatchObject({ verified: true });
        const resumedAt = retries.at(-1)?.offset ?? 0;
        expect(retries.length).toBeGreaterThan(0);
        expect(resumedAt).toBeGreaterThan(0);
        // Resumed, not started over: after the retry only the rest of the blob reached the client, plus
        // gRPC framing (under 0.1 %); starting over would have sent `resumedAt` more. Comparing with what
        // the client held before the retry keeps messages grpc-js had buffered out of the sum.
        expect(front.bytesDown() - bytesBeforeRetry).toBeLessThan(SIZE - resumedAt + 64 * 1024);
        recordFigures(`${provider} download with cas-client retries`, {
          outageMs: OUTAGE_MS,
          recoveredAfterBackMs: Math.round(performance.now() - backAt),
          retries: retries.length,
          resumedAtByte: resumedAt,
          bytesToClientInAll: front.bytesDown(),
          bytesToClientAgain: front.bytesDown() - SIZE,
          bytesFromServerInAll: target.proxy.bytesDown(),
        });
      } finally {
        await dir.remove();
      }
    });

    it(`a hung server: downloads get UNAVAILABLE within the CAS's bound (${CALL_TIMEOUT_MS} ms), uploads within twice it (the abort has a bound of its own), never a hang`, async () => {
      const stored = await storedBlob();
      const blob = blobOf(SIZE);
      const uploader = await client('upload', false, impatientCas.address);
      target.proxy.resetCounts();
      const upload = uploader.upload(sourceOf(blob));
      await within(target.proxy.whenUp(CUT), 30_000, 'the upload reaching the server');
      const stalledAt = performance.now();
      await target.proxy.fail('stalled');
      const uploadFailure = await failureOf(upload, 2 * CALL_TIMEOUT_MS + 3_000, stalledAt);
      expect(uploadFailure.error.code, uploadFailure.error.message).toBe(Code.Unavailable);
      expect(uploadFailure.error.message).toMatch(/did not answer within 2\.5 s/);
      await target.proxy.restore();

      const downloader = await client('download', false, impatientCas.address);
      target.proxy.resetCounts();
      const sink: Buffer[] = [];
      const download = downloader.download(stored.digest, sinkOf(sink));
      await within(target.proxy.whenDown(CUT), 30_000, 'the download reaching the server');
      const readStalledAt = performance.now();
      await target.proxy.fail('stalled');
      const downloadFailure = await failureOf(download, CALL_TIMEOUT_MS + 3_000, readStalledAt);
      expect(downloadFailure.error.code, downloadFailure.error.message).toBe(Code.Unavailable);
      await target.proxy.restore();
      expect(await target.visible(blob.hex)).toBe(false);
      recordFigures(`${provider} server hung`, {
        callTimeoutMs: CALL_TIMEOUT_MS,
        uploadUnavailableAfterMs: uploadFailure.afterMs,
        downloadUnavailableAfterMs: downloadFailure.afterMs,
      });
    });

    /** A blob stored through the CAS while the server is healthy. */
    async function storedBlob() {
      const blob = blobOf(SIZE);
      const uploader = await client('upload', false);
      await uploader.upload(sourceOf(blob));
      return blob;
    }

    async function expectReadsBack(blob: { digest: string; bytes: Buffer }) {
      const downloader = await client('download', false);
      const parts: Buffer[] = [];
      expect(await downloader.download(blob.digest, sinkOf(parts))).toMatchObject({ verified: true });
      expect(Buffer.concat(parts).equals(blob.bytes)).toBe(true);
    }
  });
}

function sinkOf(parts: Buffer[]) {
  return new Writable({
    write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
      parts.push(chunk);
      done();
    },
  });
}
