import { type AnyProvider, providerFor } from '@cairn/backends';
import { type CasKeySource, createCasTokenVerifier } from '@cairn/cas-token';
import { createLogger, type Logger } from '@cairn/observability';
import type { SecretStore } from '@cairn/secrets';
import { BackendAccess } from './biz/backend-access.js';
import { DescribeBlobs } from './biz/describe-blobs.js';
import { PutBlob } from './biz/put-blob.js';
import { ReadBlob } from './biz/read-blob.js';
import { UploadSessions } from './biz/upload-sessions.js';
import { WriteBlob } from './biz/write-blob.js';
import { type CasConfig, type CasConfigInit, createCasConfig } from './config/cas-config.js';
import { createBackendResolver } from './data/backend-resolver.js';
import { openSecretStore } from './data/open-secret-store.js';
import { Authenticator } from './server/authenticator.js';
import { GrpcCalls } from './server/grpc/grpc-calls.js';
import { startGrpcServer } from './server/grpc/grpc-server.js';
import { BlobRoutes } from './server/http/blob-routes.js';
import { HttpCalls } from './server/http/http-call.js';
import { startHttpServer } from './server/http/http-server.js';
import { InFlight } from './server/in-flight.js';
import { CasMetrics } from './server/metrics.js';
import { ServingState } from './server/serving-state.js';
import { ByteStreamService } from './service/bytestream-service.js';
import { ResourceServiceImpl } from './service/resource-service.js';

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
      ? await openSecretStore(config.secrets, options.env ?? process.env, setup.signal)
      : undefined);

  const verifier = createCasTokenVerifier({
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
    keys: keySourceOf(config),
  });
  const resolver = createBackendResolver({
    secretStore,
    providerFor: options.providerFor ?? providerFor,
    ttlMs: config.backends.credentialsTtlMs,
    onCloseError: (error) => logger.warn('closing a backend driver failed', { error }),
    onStagingSwept: (location, outcome) => {
      if ('error' in outcome)
        logger.warn('sweeping abandoned uploads failed', { location, error: outcome.error });
      else if (outcome.removed > 0)
        logger.info('removed abandoned uploads', { location, removed: outcome.removed });
    },
  });
  const access = new BackendAccess(resolver, config.backends.filesystemRoots);
  const sessions = new UploadSessions({
    resumeWindowMs: config.uploads.resumeWindowMs,
    maxOpen: config.uploads.maxOpenSessions,
    onExpired: (key, received) => logger.info('upload session expired', { session: key, received }),
    onAbortError: (error) => logger.warn('aborting an upload session failed', { error }),
  });
  const metrics = new CasMetrics(() => sessions.size);
  const state = new ServingState();
  const inFlight = new InFlight();
  const authenticator = new Authenticator(verifier);
  const reads = new ReadBlob(access);
  const byteStream = new ByteStreamService(new WriteBlob(access, sessions), reads, config.reads.chunkBytes);
  const resources = new ResourceServiceImpl(new DescribeBlobs(access, config.findMissingMaxDigests));

  const grpc = await startGrpcServer(
    config.grpc,
    new GrpcCalls(authenticator, metrics, logger, inFlight),
    { byteStream, resources },
    state,
    logger,
  );
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(
      config.http,
      new HttpCalls(authenticator, metrics, logger, inFlight),
      new BlobRoutes(new PutBlob(access), reads),
      state,
      metrics,
      logger,
    );
  } catch (error) {
    grpc.forceStop();
    throw error;
  }
  state.set('serving');
  logger.info('artifact CAS serving', { grpc: grpc.address, http: http.url });

  let closing: Promise<void> | undefined;
  const shutdown = async () => {
    state.set('draining');
    logger.info('draining', { in_flight: inFlight.size, grace_ms: config.shutdownGraceMs });
    const grpcDrained = grpc.drain();
    http.stopAccepting();
    if (!(await inFlight.drained(config.shutdownGraceMs))) {
      logger.warn('shutdown grace ended; canceling running calls', { in_flight: inFlight.size });
      inFlight.cancelAll();
      await inFlight.drained(FLUSH_MS);
    }
    // Every call has ended; health watches end now, and the last responses get a moment to reach clients
    // before the connections are cut.
    state.set('stopped');
    http.closeIdle();
    await Promise.all([within(grpcDrained, FLUSH_MS), within(http.closed(), FLUSH_MS)]);
    grpc.forceStop();
    http.forceStop();
    await sessions.close();
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

/** How long finished calls may take to flush their last bytes during a shutdown. */
const FLUSH_MS = 2_000;

async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function keySourceOf(config: CasConfig): CasKeySource {
  const { jwksUrl, keyFile, jwks } = config.tokens;
  if (jwksUrl !== undefined) return { kind: 'jwks-url', url: jwksUrl };
  if (keyFile !== undefined) return { kind: 'key-file', path: keyFile };
  return { kind: 'jwks', jwks };
}
