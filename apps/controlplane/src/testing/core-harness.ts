import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { CAS_TOKEN_DEFAULTS, generateSigningKey } from '@cairn/cas-token';
import { createLogger } from '@cairn/observability';
import { createFileSecretStore, type SecretStore } from '@cairn/secrets';
import {
  ControlPlaneCore,
  isAdmin,
  type Principal,
  SigningKeyRing,
  TokenIssuer,
  type ValidationSchedule,
} from '../biz/index.js';
import {
  type DataStore,
  grpcCasBackendChecker,
  grpcCasResourceReader,
  type Organization,
} from '../data/index.js';

export interface CoreHarness {
  readonly core: ControlPlaneCore;
  readonly store: DataStore;
  readonly secrets: SecretStore;
  /**
   * The real artifact CAS the core asks to check backends and confirm blobs: in process, trusting the
   * core's signing key, reading the same secret store, serving filesystem backends under `backendsRoot`.
   */
  readonly cas: RunningArtifactCas;
  /** The only directory under which `cas` serves filesystem backends. */
  readonly backendsRoot: string;
  /** Every log line written so far (JSON text), the CAS's included. */
  readonly logs: string[];
  /** A temp directory removed by `close`. */
  readonly dir: string;
  /** Points the core at another CAS address ('' for none configured); `undefined` goes back to `cas`. */
  useCasAddress(address: string | undefined): void;
  /** A new organisation with a user token; names are random so tests share one database. */
  newOrganization(): Promise<{ org: Organization; principal: Principal; secret: string }>;
  /** A fresh, writable directory for a filesystem backend, under `backendsRoot`. */
  newBackendDir(): Promise<string>;
  /** Makes a filesystem backend's directory unusable (a file where the directory was). */
  breakBackendDir(dir: string): Promise<void>;
  close(): Promise<void>;
}

export async function createCoreHarness(
  store: DataStore,
  options: { schedule?: ValidationSchedule; secrets?: SecretStore; validationTimeoutMs?: number } = {},
): Promise<CoreHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cp-test-'));
  const backendsRoot = join(dir, 'backends');
  await mkdir(backendsRoot);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const secrets =
    options.secrets ?? createFileSecretStore({ directory: join(dir, 'secrets'), key: randomBytes(32) });
  const issuer = new TokenIssuer(new SigningKeyRing(await generateSigningKey()), {
    issuer: CAS_TOKEN_DEFAULTS.issuer,
    audience: CAS_TOKEN_DEFAULTS.audience,
    lifetimeSeconds: 300,
    recordGraceSeconds: 86_400,
  });
  const cas = await startArtifactCas(
    {
      grpc: { port: 0 },
      http: { port: 0 },
      tokens: { jwks: issuer.jwks() },
      backends: { filesystemRoots: [backendsRoot] },
      shutdownGraceMs: 1_000,
    },
    { logger, secretStore: secrets },
  );
  let casAddress: string | undefined;
  const address = () => casAddress ?? cas.grpcAddress;
  const core = new ControlPlaneCore({
    store,
    secrets,
    issuer,
    cas: grpcCasResourceReader(address),
    casChecks: grpcCasBackendChecker(address),
    logger,
    validationTimeoutMs: options.validationTimeoutMs ?? 10_000,
    ...(options.schedule ? { validationSchedule: options.schedule } : {}),
  });
  return {
    core,
    store,
    secrets,
    cas,
    backendsRoot,
    logs,
    dir,
    useCasAddress(next) {
      casAddress = next;
    },
    async newOrganization() {
      const org = await core.organizations.create(`org-${randomUUID().slice(0, 13)}`);
      const { secret } = await core.apiTokens.create(org.id, { name: 'test', kind: 'user' });
      const principal = await core.apiTokens.authenticate(secret);
      if (isAdmin(principal)) throw new Error('an organisation token authenticated as an admin');
      return { org, principal, secret };
    },
    async newBackendDir() {
      const path = join(backendsRoot, randomUUID());
      await mkdir(path);
      return path;
    },
    async breakBackendDir(path) {
      await rm(path, { recursive: true, force: true });
      await writeFile(path, 'not a directory');
    },
    async close() {
      await core.scheduler.stop();
      await cas.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
