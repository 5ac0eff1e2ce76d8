import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { createCasClient } from '@cairn/cas-client';
import { CAS_TOKEN_DEFAULTS, generateSigningKey, mintCasToken } from '@cairn/cas-token';
import {
  createConfig,
  type RunningControlPlane,
  rotateSigningKeys,
  startControlPlane,
} from '@cairn/controlplane';
import { type ControlPlaneClient, createControlPlaneClient } from '@cairn/controlplane-client';
import { type CairnError, Code } from '@cairn/errors';
import { silentLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, sourceOf, tempDir } from '../support/cas.js';
import { cleanUp } from '../support/clean-up.js';
import { recordFigures } from '../support/figures.js';
import { failureOf } from '../support/outcome.js';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres.js';
import { freePorts } from '../support/service-process.js';

const KiB = 1024;
/** The CAS reads the key set for an unknown key at most this often (default 5 s; short to keep the test quick). */
const KEY_REFRESH_MS = 500;
/** How often the control plane reads its signing-key schedule (a rotation's lead must be longer). */
const KEY_SCHEDULE_REFRESH_MS = 200;

/**
 * Issue 14, part 2: the control plane down while the CAS serves tokens it already trusts. The CAS reads the
 * control plane's JWKS (`tokens.jwksUrl`) and keeps the keys it fetched; the control plane is stopped, and
 * started again on the same port with a rotated signing key (the old one still published), as a deploy
 * would. Cairn's CAS is never restarted.
 */
describe('the control plane down while the CAS serves tokens it trusts', () => {
  let postgres: PrivatePostgres;
  let dir: { path: string; remove: () => Promise<void> };
  let httpPort: number;
  let controlPlane: RunningControlPlane | undefined;
  let cas: RunningArtifactCas;
  let casAddress = '';
  let apiToken: string;
  let api: ControlPlaneClient | undefined;

  const cpConfig = (bootstrap: boolean) =>
    createConfig(
      {
        stateDir: '.',
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: httpPort },
        database: { url: postgres.url },
        validation: { tickMs: 3_600_000 },
        tokens: { signingKeyFile: 'key-1.json', keyRefreshMs: KEY_SCHEDULE_REFRESH_MS },
        shutdownGraceMs: 500,
        ...(bootstrap ? { bootstrap: { organization: 'e2e', apiTokenFile: 'api-token' } } : {}),
      },
      {},
      dir.path,
    );
  const startCp = async (bootstrap: boolean) => {
    controlPlane = await startControlPlane(cpConfig(bootstrap), {
      logger: silentLogger,
      casGrpcAddress: () => casAddress,
    });
    api = createControlPlaneClient({ address: controlPlane.grpcAddress, apiToken, callTimeoutMs: 10_000 });
  };
  const stopCp = async () => {
    api?.close();
    api = undefined;
    await controlPlane?.close();
    controlPlane = undefined;
  };
  const apiNow = (): ControlPlaneClient => {
    if (api === undefined) throw new Error('the control plane is not running');
    return api;
  };
  const upload = async (token: string, blob: ReturnType<typeof blobOf>) => {
    const client = createCasClient({ address: cas.grpcAddress, token, retry: { maxAttempts: 1 } });
    try {
      return await client.upload(sourceOf(blob));
    } finally {
      client.close();
    }
  };
  const download = async (token: string, blob: ReturnType<typeof blobOf>) => {
    const client = createCasClient({ address: cas.grpcAddress, token, retry: { maxAttempts: 1 } });
    const parts: Buffer[] = [];
    try {
      const sink = new Writable({
        write(chunk: Buffer, _encoding: BufferEncoding, done: () => void) {
          parts.push(chunk);
          done();
        },
      });
      await client.download(blob.digest, sink);
      return Buffer.concat(parts);
    } finally {
      client.close();
    }
  };

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    dir = await tempDir('cp-down');
    await mkdir(join(dir.path, 'blobs'));
    httpPort = (await freePorts(1))[0] ?? 0;
    apiToken = '';
    await startCp(true);
    apiToken = (await readFile(join(dir.path, 'api-token'), 'utf8')).trim();
    api?.close();
    api = createControlPlaneClient({
      address: controlPlane?.grpcAddress ?? '',
      apiToken,
      callTimeoutMs: 10_000,
    });
    cas = await startArtifactCas(
      {
        grpc: { host: '127.0.0.1', port: 0 },
        http: { host: '127.0.0.1', port: 0 },
        tokens: {
          jwksUrl: `http://127.0.0.1:${httpPort}/.well-known/jwks.json`,
          keyRefreshIntervalMs: KEY_REFRESH_MS,
        },
        backends: { filesystemRoots: [dir.path] },
        shutdownGraceMs: 500,
      },
      { logger: silentLogger },
    );
    casAddress = cas.grpcAddress;
    await apiNow().createBackend({
      name: 'local',
      provider: 'filesystem',
      location: join(dir.path, 'blobs'),
      isDefault: true,
    });
  });

  afterAll(() =>
    cleanUp(
      () => cas?.close(),
      () => stopCp(),
      () => postgres?.remove(),
      () => dir?.remove(),
    ),
  );

  it('tokens it minted keep working, an unknown key is refused clearly, and new keys are fetched once it is back', async () => {
    const stored = blobOf(256 * KiB);
    const uploadToken = (await apiNow().casToken('upload')).token;
    await upload(uploadToken, stored);
    const downloadToken = (await apiNow().casToken('download', stored.digest)).token;

    await stopCp();
    const downAt = performance.now();
    // Tokens minted before: the CAS verifies them with the keys it holds.
    const during = blobOf(256 * KiB);
    expect(await upload(uploadToken, during)).toMatchObject({ existed: false });
    expect((await download(downloadToken, stored)).equals(stored.bytes)).toBe(true);
    const keptServingMs = Math.round(performance.now() - downAt);

    // A token signed by a key the CAS never saw, while it cannot ask the control plane about it: refused,
    // the same way every time, saying that the key is unknown and the key set could not be read.
    const stranger = await generateSigningKey();
    const claims = JSON.parse(Buffer.from(uploadToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const forged = await mintCasToken(
      stranger,
      {
        sub: claims.sub,
        org: claims.org,
        role: 'upload',
        backend: claims.backend,
        secret: claims.secret,
        max_bytes: claims.max_bytes,
      },
      { issuer: CAS_TOKEN_DEFAULTS.issuer, audience: CAS_TOKEN_DEFAULTS.audience },
    );
    // Past the rate limit of the key set read at the first upload, so the first refusal tries to read it.
    await sleep(KEY_REFRESH_MS);
    const refusals: CairnError[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      refusals.push((await failureOf(upload(forged, blobOf(KiB)), 10_000)).error);
    }
    for (const refusal of refusals) {
      expect(refusal.code, refusal.message).toBe(Code.Unauthenticated);
      expect(refusal.details.reason).toBe('kid_unknown');
      expect(refusal.message).toMatch(/could not be read/);
    }

    // The key rotates while no control plane runs (`controlplane keys rotate` needs only the database and
    // the secret store), and the control plane comes back on the same port signing with the new key, the
    // old one still published.
    await rotateSigningKeys(cpConfig(false), KEY_SCHEDULE_REFRESH_MS + 100, AbortSignal.timeout(30_000));
    await sleep(KEY_SCHEDULE_REFRESH_MS + 100);
    await startCp(false);
    const backAt = performance.now();
    const rotated = (await apiNow().casToken('upload')).token;
    expect(rotated.split('.')[0]).not.toBe(uploadToken.split('.')[0]);
    let accepted: number | undefined;
    let lastRefusal: unknown;
    for (let attempt = 0; attempt < 60 && accepted === undefined; attempt++) {
      try {
        await upload(rotated, blobOf(KiB));
        accepted = Math.round(performance.now() - backAt);
      } catch (error) {
        lastRefusal = error;
        await sleep(200);
      }
    }
    expect(accepted, String(lastRefusal)).toBeDefined();
    // The stranger stays refused with the key set in hand, now as a key the control plane does not publish.
    const still = await failureOf(upload(forged, blobOf(KiB)), 10_000);
    expect(still.error).toMatchObject({ code: Code.Unauthenticated, details: { reason: 'kid_unknown' } });
    recordFigures('control plane down', {
      uploadAndDownloadWhileDownMs: keptServingMs,
      newKeyAcceptedAfterBackMs: accepted ?? -1,
    });
  });
});
