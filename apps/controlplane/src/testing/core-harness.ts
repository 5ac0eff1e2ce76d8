import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAS_TOKEN_DEFAULTS, generateSigningKey } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import { createLogger } from '@cairn/observability';
import { createFileSecretStore, type SecretStore } from '@cairn/secrets';
import {
  type CasResourceReader,
  ControlPlaneCore,
  type Principal,
  SigningKeyRing,
  TokenIssuer,
  type ValidationSchedule,
} from '../biz/index.js';
import type { DataStore, Organization } from '../data/index.js';

export interface CoreHarness {
  readonly core: ControlPlaneCore;
  readonly store: DataStore;
  readonly secrets: SecretStore;
  /** Every log line written so far (JSON text). */
  readonly logs: string[];
  /** A temp directory removed by `close`. */
  readonly dir: string;
  /** A new organisation with a user token; names are random so tests share one database. */
  newOrganization(): Promise<{ org: Organization; principal: Principal; secret: string }>;
  /** A fresh, writable directory for a filesystem backend. */
  newBackendDir(): Promise<string>;
  /** Makes a filesystem backend's directory unusable (a file where the directory was). */
  breakBackendDir(dir: string): Promise<void>;
  close(): Promise<void>;
}

const noCas: CasResourceReader = {
  describe: async () => {
    throw new CairnError(Code.Unavailable, 'no CAS is configured in this test');
  },
};

export async function createCoreHarness(
  store: DataStore,
  options: { cas?: CasResourceReader; schedule?: ValidationSchedule; secrets?: SecretStore } = {},
): Promise<CoreHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cp-test-'));
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
  const core = new ControlPlaneCore({
    store,
    secrets,
    issuer,
    cas: options.cas ?? noCas,
    logger,
    validationTimeoutMs: 10_000,
    ...(options.schedule ? { validationSchedule: options.schedule } : {}),
  });
  return {
    core,
    store,
    secrets,
    logs,
    dir,
    async newOrganization() {
      const org = await core.organizations.create(`org-${randomUUID().slice(0, 13)}`);
      const { secret } = await core.apiTokens.create(org.id, { name: 'test', kind: 'user' });
      return { org, principal: await core.apiTokens.authenticate(secret), secret };
    },
    async newBackendDir() {
      const path = join(dir, 'backends', randomUUID());
      await mkdir(path, { recursive: true });
      return path;
    },
    async breakBackendDir(path) {
      await rm(path, { recursive: true, force: true });
      await writeFile(path, 'not a directory');
    },
    async close() {
      await core.scheduler.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
