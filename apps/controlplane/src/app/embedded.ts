import { randomUUID } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import { type Caller, type ControlPlaneCore, isAdmin } from '../biz/index.js';
import type { Organization } from '../data/index.js';
import { operatorPrincipal } from './bootstrap.js';

export interface EmbeddedSetup {
  /** The first organisation's name. */
  readonly organization: string;
  /** Directory of the filesystem backend that becomes the organisation's default on first start. */
  readonly blobsDir: string;
  /** The CLI's config file; its `controlplane` section is written here (mode 0600). */
  readonly cliConfigFile: string;
}

export const EMBEDDED_BACKEND_NAME = 'local';

/** How long the embedded start waits for the CAS to answer the first backend's write check. */
const CAS_WAIT_MS = 120_000;
const CAS_RETRY_MS = 250;

/**
 * The embedded default's first organisation, made on first start and reused after, with the tokens the
 * CLI finds in `cli.json` (0600): `"controlplane": { "grpc", "organization", "apiToken", "adminToken" }`,
 * the organisation's API token and an admin token of the instance (for `cairn org create` and `cairn token
 * create --org`). Tokens already there that still work are kept. Returns the organisation; its filesystem
 * backend is made by `ensureEmbeddedBackend`.
 */
export async function ensureEmbeddedOrganization(
  core: ControlPlaneCore,
  setup: EmbeddedSetup,
  grpcAddress: string,
): Promise<Organization> {
  const org =
    (await core.organizations.findByName(setup.organization)) ??
    (await core.organizations.create(setup.organization));
  const cli = await readJson(setup.cliConfigFile);
  const section = (cli.controlplane ?? {}) as { apiToken?: unknown; adminToken?: unknown };
  /** `token` if it still authenticates as a caller that `fits`. */
  const live = async (token: unknown, fits: (caller: Caller) => boolean): Promise<string | undefined> =>
    typeof token === 'string' && (await core.apiTokens.authenticate(token).then(fits, () => false))
      ? token
      : undefined;
  const apiToken =
    (await live(section.apiToken, (caller) => caller.orgId === org.id)) ??
    (await core.apiTokens.create(org.id, { name: 'embedded-cli', kind: 'user' })).secret;
  const adminToken =
    (await live(section.adminToken, isAdmin)) ??
    (await core.apiTokens.create(null, { name: 'embedded-admin', kind: 'admin' })).secret;
  // Re-read right before writing: the start script may have rewritten the file meanwhile.
  const latest = await readJson(setup.cliConfigFile);
  await writeAtomically(setup.cliConfigFile, {
    ...latest,
    controlplane: { grpc: grpcAddress, organization: org.name, apiToken, adminToken },
  });
  return org;
}

/**
 * The embedded organisation's filesystem backend under `.cairn/`, made its default on first start (the
 * inline backend stays beside it). Its write check runs on the CAS, which `npm start` starts beside the
 * control plane: while the CAS cannot be reached yet, the creation is tried again, for up to two minutes.
 */
export async function ensureEmbeddedBackend(
  core: ControlPlaneCore,
  org: Organization,
  setup: EmbeddedSetup,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const principal = operatorPrincipal(org.id);
  const deadline = Date.now() + CAS_WAIT_MS;
  for (;;) {
    const backends = await core.backends.list(principal);
    if (backends.some((backend) => backend.name === EMBEDDED_BACKEND_NAME)) return;
    try {
      await core.backends.create(
        principal,
        {
          name: EMBEDDED_BACKEND_NAME,
          provider: 'filesystem',
          location: setup.blobsDir,
          description: 'Blobs under .cairn/blobs (embedded default)',
          credentials: {},
          isDefault: true,
        },
        signal,
      );
      logger.info('embedded organisation ready', {
        org: org.id,
        name: org.name,
        backend: EMBEDDED_BACKEND_NAME,
      });
      return;
    } catch (error) {
      const failure = CairnError.from(error);
      // The CAS is not there yet: not listening, or (in process) its address not known yet.
      const casMissing =
        failure.code === Code.Unavailable || failure.details.check_reason === 'cas_not_configured';
      if (!casMissing || Date.now() > deadline) throw failure;
      await sleep(CAS_RETRY_MS, undefined, { signal });
    }
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw CairnError.from(error, undefined, `cannot read ${path}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Holds an API token: written 0600 beside the target, then renamed over it, so no reader sees half a file. */
async function writeAtomically(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}
