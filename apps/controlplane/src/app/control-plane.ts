import { writeFile } from 'node:fs/promises';
import { createLogger, type Logger } from '@cairn/observability';
import type { SecretStore } from '@cairn/secrets';
import { sql } from 'kysely';
import { type BackendAccess, ControlPlaneCore, TokenIssuer } from '../biz/index.js';
import type { ControlPlaneConfig } from '../config/config.js';
import { DataStore } from '../data/index.js';
import { grpcCasBlobTransfer } from '../server/cas-blob-transfer.js';
import { grpcCasResourceReader } from '../server/cas-resource-reader.js';
import { startGrpcServer } from '../server/grpc-server.js';
import { ServingState } from '../server/health.js';
import { startHttpServer } from '../server/http-server.js';
import { ControlPlaneMetrics } from '../server/metrics.js';
import { UnaryCalls } from '../server/unary.js';
import { ApiTokenService } from '../service/api-token-service.js';
import { AttestationService } from '../service/attestation-service.js';
import { CasBackendService } from '../service/cas-backend-service.js';
import { CasCredentialsService } from '../service/cas-credentials-service.js';
import { CasMappingService } from '../service/cas-mapping-service.js';
import { bootstrapOrganization } from './bootstrap.js';
import { ensureEmbeddedOrganization } from './embedded.js';
import { openSecretStore } from './open-secrets.js';
import { loadSigningKeys } from './signing-keys.js';

export interface StartControlPlaneOptions {
  /** Defaults to JSON lines on stdout at config.log.level. */
  readonly logger?: Logger;
  /** Replaces the store config.secrets names (tests, an embedding process). */
  readonly secretStore?: SecretStore;
  /** Replaces the real providers' write checks (never in production). */
  readonly access?: BackendAccess;
  /** Environment for secrets given by variable; defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The CAS's gRPC address, asked at each use; defaults to config.cas.grpcAddress (tests start the CAS later). */
  readonly casGrpcAddress?: () => string;
  /** Where a bootstrap token without apiTokenFile is printed; defaults to stdout. */
  readonly printToken?: (line: string) => void;
}

export interface RunningControlPlane {
  readonly grpcAddress: string;
  readonly httpUrl: string;
  readonly config: ControlPlaneConfig;
  readonly core: ControlPlaneCore;
  /** Graceful: not-ready, stop taking calls, let running ones finish within shutdownGraceMs, close. Idempotent. */
  close(): Promise<void>;
}

/** Starts the control plane in this process: database (migrated), secret store, keys, gRPC and HTTP. */
export async function startControlPlane(
  config: ControlPlaneConfig,
  options: StartControlPlaneOptions = {},
): Promise<RunningControlPlane> {
  const logger = (options.logger ?? createLogger({ level: config.log.level })).child({
    service: 'controlplane',
  });
  const setup = AbortSignal.timeout(120_000);
  const secrets =
    options.secretStore ?? (await openSecretStore(config.secrets, options.env ?? process.env, setup));
  const ring = await loadSigningKeys(config.tokens.signingKeyFile, config.tokens.previousKeyFiles, setup);
  const casAddress = options.casGrpcAddress ?? (() => config.cas.grpcAddress);
  const { publicGrpcAddress } = config.cas;
  // Clients may reach the CAS by another address than the control plane does (a load balancer's).
  const clientCasAddress = publicGrpcAddress === undefined ? casAddress : () => publicGrpcAddress;
  const store = await DataStore.open(config.database);
  const cleanup: Array<() => Promise<void>> = [() => store.close()];
  try {
    const issuer = new TokenIssuer(ring, {
      issuer: config.tokens.issuer,
      audience: config.tokens.audience,
      lifetimeSeconds: config.tokens.lifetimeSeconds,
      recordGraceSeconds: config.tokens.recordGraceSeconds,
    });
    const core = new ControlPlaneCore({
      store,
      secrets,
      issuer,
      cas: grpcCasResourceReader(casAddress),
      casBlobs: grpcCasBlobTransfer(casAddress),
      attestations: config.attestations,
      logger,
      ...(options.access ? { access: options.access } : {}),
      validationTimeoutMs: config.validation.timeoutMs,
      validationSchedule: config.validation,
    });
    if (config.bootstrap) await runBootstrap(core, config.bootstrap, logger, options.printToken);

    const metrics = new ControlPlaneMetrics();
    const state = new ServingState();
    const calls = new UnaryCalls(core.apiTokens, logger, metrics);
    const grpc = await startGrpcServer(
      config.grpc.host,
      config.grpc.port,
      calls,
      {
        backends: new CasBackendService(core.backends),
        credentials: new CasCredentialsService(core.credentials, clientCasAddress),
        mapping: new CasMappingService(core.mapping),
        tokens: new ApiTokenService(core.apiTokens),
        attestations: new AttestationService(core.attestations, clientCasAddress),
      },
      state,
    );
    cleanup.unshift(async () => grpc.forceStop());
    const http = await startHttpServer(config.http.host, config.http.port, {
      jwks: () => issuer.jwks(),
      state,
      databaseReady: async () => {
        await sql`select 1`.execute(store.db);
      },
      metrics,
      logger,
    });
    cleanup.unshift(() => http.close());
    if (config.embedded) await ensureEmbeddedOrganization(core, config.embedded, grpc.address, logger, setup);
    core.scheduler.start();
    core.attestations.copier.start();
    state.set(true);
    logger.info('control plane started', {
      grpc: grpc.address,
      http: http.url,
      database: store.kind,
      secretStore: config.secrets.kind,
      signingKey: ring.active.kid,
    });

    let closing: Promise<void> | undefined;
    return {
      grpcAddress: grpc.address,
      httpUrl: http.url,
      config,
      core,
      close() {
        closing ??= (async () => {
          state.set(false);
          const grace = setTimeout(() => grpc.forceStop(), config.shutdownGraceMs);
          await grpc.drain();
          clearTimeout(grace);
          await core.scheduler.stop();
          await core.attestations.copier.stop();
          await http.close();
          await store.close();
          logger.info('control plane stopped');
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

async function runBootstrap(
  core: ControlPlaneCore,
  bootstrap: NonNullable<ControlPlaneConfig['bootstrap']>,
  logger: Logger,
  print: ((line: string) => void) | undefined,
): Promise<void> {
  const result = await bootstrapOrganization(core, bootstrap.organization);
  if (!result.apiToken) return;
  logger.info('bootstrap organisation created', { org: result.org.id, name: result.org.name });
  if (bootstrap.apiTokenFile) {
    await writeFile(bootstrap.apiTokenFile, `${result.apiToken}\n`, { mode: 0o600, flag: 'wx' });
    logger.info('bootstrap API token written', { file: bootstrap.apiTokenFile });
  } else {
    (print ?? ((line) => process.stdout.write(line)))(
      `First API token of organisation "${result.org.name}" (shown once, keep it safe):\n${result.apiToken}\n`,
    );
  }
}
