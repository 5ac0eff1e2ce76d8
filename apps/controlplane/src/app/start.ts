import { writeFile } from 'node:fs/promises';
import { CairnError } from '@cairn/errors';
import { createLogger, type Logger } from '@cairn/observability';
import { openSecretStore, type SecretStore } from '@cairn/secrets';
import {
  CallMetrics,
  callLogging,
  callMetrics,
  drainService,
  errorMapping,
  GrpcCalls,
  InFlight,
  ServingState,
} from '@cairn/service-runtime';
import { sql } from 'kysely';
import { ControlPlaneCore, SigningKeySchedule, TokenIssuer } from '../biz/index.js';
import type { ControlPlaneConfig } from '../config/config.js';
import {
  DataStore,
  grpcCasBackendChecker,
  grpcCasBlobTransfer,
  grpcCasResourceReader,
} from '../data/index.js';
import { startGrpcServer } from '../server/grpc-server.js';
import { startHttpServer } from '../server/http-server.js';
import { apiTokenAuthentication } from '../server/interceptors.js';
import { ApiTokenService } from '../service/api-token-service.js';
import { AttestationService } from '../service/attestation-service.js';
import { CasBackendService } from '../service/cas-backend-service.js';
import { CasCredentialsService } from '../service/cas-credentials-service.js';
import { CasMappingService } from '../service/cas-mapping-service.js';
import { OrganizationService } from '../service/organization-service.js';
import { WorkflowRunService } from '../service/workflow-run-service.js';
import { bootstrapOrganization } from './bootstrap.js';
import { ensureEmbeddedBackend, ensureEmbeddedOrganization } from './embedded.js';
import { secretStoreOptions } from './secret-store-options.js';
import { loadSigningKeys } from './signing-keys.js';

export interface StartControlPlaneOptions {
  /** Defaults to JSON lines on stdout at config.log.level. */
  readonly logger?: Logger;
  /** Replaces the store config.secrets names (tests, an embedding process). */
  readonly secretStore?: SecretStore;
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
  /**
   * Start-up work that waits for the CAS (the embedded default's first backend): settles when it is done,
   * and the control plane reports ready from then on. Resolved at once without an embedded setup.
   */
  readonly setup: Promise<void>;
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
    options.secretStore ??
    (await openSecretStore(config.secrets, secretStoreOptions(options.env ?? process.env, setup)));
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
    // The schedule decides which key signs from now on; the files give the first key only.
    const keys = new SigningKeySchedule({
      store,
      secrets,
      issuer,
      verifyOnly: ring.keys.slice(1),
      refreshMs: config.tokens.keyRefreshMs,
      logger,
    });
    await keys.adopt(ring.active, setup);
    await keys.refresh(setup);
    keys.start();
    cleanup.unshift(async () => keys.stop());
    const core = new ControlPlaneCore({
      store,
      secrets,
      issuer,
      cas: grpcCasResourceReader(casAddress),
      casChecks: grpcCasBackendChecker(casAddress),
      casBlobs: grpcCasBlobTransfer(casAddress),
      attestations: {
        skipDbStorage: config.attestations.skipDbStorage,
        casTimeoutMs: config.attestations.casTimeoutMs,
        maxBundleBytes: config.attestations.maxBundleBytes,
        runLifetimeMs: config.attestations.runLifetimeSeconds * 1000,
      },
      logger,
      validationTimeoutMs: config.validation.timeoutMs,
      validationSchedule: config.validation,
    });
    if (config.bootstrap) await runBootstrap(core, config.bootstrap, logger, options.printToken);

    const metrics = new CallMetrics('cairn_controlplane');
    const state = new ServingState();
    const inFlight = new InFlight();
    // Outermost first: the log line and the metrics see every call as it ended, errors already mapped.
    const calls = new GrpcCalls(
      [callLogging(logger), callMetrics(metrics), errorMapping, apiTokenAuthentication(core.apiTokens)],
      inFlight,
      logger,
    );
    const grpc = await startGrpcServer(
      config.grpc.host,
      config.grpc.port,
      calls,
      {
        backends: new CasBackendService(core.backends),
        credentials: new CasCredentialsService(core.credentials, clientCasAddress),
        mapping: new CasMappingService(core.mapping),
        tokens: new ApiTokenService(core.apiTokens),
        organizations: new OrganizationService(core.organizations),
        attestations: new AttestationService(core.attestations, clientCasAddress),
        runs: new WorkflowRunService(core.attestations.runs),
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
    cleanup.unshift(async () => http.forceStop());
    const stopping = new AbortController();
    let pending = Promise.resolve();
    if (config.embedded) {
      const embedded = config.embedded;
      const org = await ensureEmbeddedOrganization(core, embedded, grpc.address);
      pending = ensureEmbeddedBackend(core, org, embedded, logger, stopping.signal).catch(
        (error: unknown) => {
          if (!stopping.signal.aborted) {
            logger.error(
              'the embedded default backend could not be created; uploads go nowhere until it is',
              {
                error: CairnError.from(error).message,
              },
            );
          }
        },
      );
    }
    core.scheduler.start();
    core.attestations.copier.start();
    core.attestations.expiry.start();
    const ready = pending.then(() => {
      if (!stopping.signal.aborted) state.set('serving');
    });
    logger.info('control plane started', {
      grpc: grpc.address,
      http: http.url,
      database: store.kind,
      secretStore: config.secrets.kind,
      signingKey: issuer.ring.active.kid,
    });

    let closing: Promise<void> | undefined;
    return {
      grpcAddress: grpc.address,
      httpUrl: http.url,
      config,
      core,
      setup: ready,
      close() {
        closing ??= (async () => {
          stopping.abort();
          await ready;
          await drainService({
            service: 'control plane',
            state,
            inFlight,
            graceMs: config.shutdownGraceMs,
            grpc,
            http,
            logger,
          });
          keys.stop();
          await core.scheduler.stop();
          await core.attestations.copier.stop();
          await core.attestations.expiry.stop();
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
