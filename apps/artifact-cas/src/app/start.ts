import { mkdir } from 'node:fs/promises';
import { type AnyProvider, providerFor } from '@cairn/backends';
import { type CasKeySource, createCasTokenVerifier } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import { createLogger, type Logger } from '@cairn/observability';
import { openSecretStore, type SecretStore } from '@cairn/secrets';
import {
  callLogging,
  callMetrics,
  drainService,
  errorMapping,
  GrpcCalls,
  InFlight,
  ServingState,
} from '@cairn/service-runtime';
import { BackendAccess } from '../biz/backend-access.js';
import { CheckWriteAccess } from '../biz/check-write-access.js';
import { DescribeBlobs } from '../biz/describe-blobs.js';
import { LeftoverSweeper } from '../biz/leftover-sweeper.js';
import { PutBlob } from '../biz/put-blob.js';
import { ReadBlob } from '../biz/read-blob.js';
import { UploadSessions } from '../biz/upload-sessions.js';
import { WriteBlob } from '../biz/write-blob.js';
import { type CasConfig, type CasConfigInit, createCasConfig } from '../config/config.js';
import { createBackendResolver } from '../data/backend-resolver.js';
import { Authenticator } from '../server/authenticator.js';
import { BlobRoutes } from '../server/blob-routes.js';
import { startGrpcServer } from '../server/grpc-server.js';
import { HttpCalls } from '../server/http-calls.js';
import { startHttpServer } from '../server/http-server.js';
import { casAuthentication, trafficCounting } from '../server/interceptors.js';
import { CasMetrics } from '../server/metrics.js';
import { BackendServiceImpl } from '../service/backend-service.js';
import { ByteStreamService } from '../service/bytestream-service.js';
import { ResourceServiceImpl } from '../service/resource-service.js';
import { releaseMemoryWhenIdle } from './idle-memory.js';

export interface StartOptions {
  /** Defaults to JSON lines on stdout at `config.log.level`. */
  readonly logger?: Logger;
  /** Replaces the store `config.secrets` names (an embedding control plane, tests). */
  readonly secretStore?: SecretStore;
  /** Replaces the provider registry of @cairn/backends (tests). */
  readonly providerFor?: (kind: string) => AnyProvider;
  /** Environment for secrets given by variable (`CAIRN_CAS_VAULT_TOKEN`); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface RunningArtifactCas {
  /** `host:port` for gRPC clients. */
  readonly grpcAddress: string;
  /** `http://host:port` */
  readonly httpUrl: string;
  readonly config: CasConfig;
  /**
   * Graceful shutdown: stop accepting, report not-ready, let running calls finish within
   * `shutdownGraceMs`, cancel what is left, abort open upload sessions, close drivers. Idempotent.
   */
  close(): Promise<void>;
}

/** Starts an artifact CAS in this process (ports 0 pick free ones). */
export async function startArtifactCas(
  init: CasConfig | CasConfigInit,
  options: StartOptions = {},
): Promise<RunningArtifactCas> {
  const config = createCasConfig(init);
  const logger = (options.logger ?? createLogger({ level: config.log.level })).child({
    service: 'artifact-cas',
  });
  const setup = new AbortController();
  const secretStore =
    options.secretStore ??
    (config.secrets
      ? await openSecretStore(config.secrets, {
          env: options.env ?? process.env,
          tokenVariable: 'CAIRN_CAS_VAULT_TOKEN',
          createKey: false,
          configName: 'the CAS config',
          signal: setup.signal,
        })
      : undefined);

  const verifier = createCasTokenVerifier({
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
    keys: keySourceOf(config),
  });
  const { journalDir } = config.sweeper;
  if (journalDir !== undefined) await openJournalDir(journalDir);
  const resolver = createBackendResolver({
    secretStore,
    providerFor: options.providerFor ?? providerFor,
    ttlMs: config.backends.credentialsTtlMs,
    callTimeoutMs: config.backends.callTimeoutMs,
    onCloseError: (error) => logger.warn('closing a backend driver failed', { error }),
    ...(journalDir === undefined ? {} : { journalDir }),
  });
  const sweeper = new LeftoverSweeper((claims, signal) => resolver.open(claims, signal), {
    ...config.sweeper,
    onSwept: (backend, outcome) => {
      const where = { backendId: backend.id, provider: backend.provider, location: backend.location };
      if ('error' in outcome)
        logger.warn('sweeping abandoned uploads failed', { ...where, error: outcome.error });
      else if (outcome.report.removed > 0 || outcome.report.left > 0)
        logger.info('removed abandoned uploads', { ...where, ...outcome.report, ms: outcome.ms });
    },
  });
  const access = new BackendAccess(resolver, config.backends.filesystemRoots, sweeper);
  const sessions = new UploadSessions({
    resumeWindowMs: config.uploads.resumeWindowMs,
    maxOpen: config.uploads.maxOpenSessions,
    onExpired: (key, received, continuable) =>
      logger.info(
        continuable
          ? 'upload session expired; left to its checkpoint for any replica'
          : 'upload session expired; aborted',
        { session: key, received },
      ),
    onAbortError: (error) => logger.warn('aborting an upload session failed', { error }),
  });
  const metrics = new CasMetrics(() => sessions.size);
  const state = new ServingState();
  const inFlight = new InFlight();
  // Outermost first: the log line and the metrics see every call as it ended, errors already mapped.
  const interceptors = [
    callLogging(logger),
    callMetrics(metrics),
    errorMapping,
    trafficCounting(metrics),
    casAuthentication(new Authenticator(verifier)),
  ];
  const reads = new ReadBlob(access);
  const byteStream = new ByteStreamService(new WriteBlob(access, sessions), reads, config.reads.chunkBytes);
  const resources = new ResourceServiceImpl(new DescribeBlobs(access, config.findMissingMaxDigests));
  const backends = new BackendServiceImpl(new CheckWriteAccess(access, config.backends.writeCheckTimeoutMs));

  const grpc = await startGrpcServer(
    config.grpc,
    new GrpcCalls(interceptors, inFlight, logger),
    { byteStream, resources, backends },
    state,
    logger,
  );
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(
      config.http,
      new HttpCalls(interceptors, inFlight),
      new BlobRoutes(new PutBlob(access), reads),
      state,
      metrics,
      logger,
    );
  } catch (error) {
    grpc.forceStop();
    throw error;
  }
  const stopReleasingMemory = await releaseMemoryWhenIdle(config.memory.releaseWhenIdleMs, inFlight, logger);
  state.set('serving');
  logger.info('artifact CAS serving', { grpc: grpc.address, http: http.url });

  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    await drainService({
      service: 'CAS',
      state,
      inFlight,
      graceMs: config.shutdownGraceMs,
      grpc,
      http,
      logger,
    });
    stopReleasingMemory();
    await sessions.close();
    await sweeper.close();
    await resolver.close();
    setup.abort();
    logger.info('artifact CAS stopped');
  };

  return {
    grpcAddress: grpc.address,
    httpUrl: http.url,
    config,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** The sweep's journal folder must be usable from the start, not found broken after a crash. */
async function openJournalDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new CairnError(
      Code.FailedPrecondition,
      `the CAS cannot create its journal folder ${dir} (config sweeper.journalDir); create it, writable by the CAS's user, or unset the setting`,
      { cause: error },
    );
  }
}

function keySourceOf(config: CasConfig): CasKeySource {
  const { jwksUrl, keyFile, jwks, keyRefreshIntervalMs } = config.tokens;
  if (jwksUrl !== undefined) {
    return { kind: 'jwks-url', url: jwksUrl, minRefreshIntervalMs: keyRefreshIntervalMs };
  }
  if (keyFile !== undefined)
    return { kind: 'key-file', path: keyFile, minRefreshIntervalMs: keyRefreshIntervalMs };
  return { kind: 'jwks', jwks };
}
