import { randomUUID } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { CairnError } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { ControlPlaneCore } from '../biz/index.js';
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

/**
 * The embedded default's first organisation, made on first start and reused after: a filesystem backend
 * under `.cairn/` as its default (the inline backend stays beside it), and an API token the CLI finds in
 * `cli.json` as `"controlplane": { "grpc", "apiToken" }`. A token already there that still works is kept.
 */
export async function ensureEmbeddedOrganization(
  core: ControlPlaneCore,
  setup: EmbeddedSetup,
  grpcAddress: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const org =
    (await core.organizations.findByName(setup.organization)) ??
    (await core.organizations.create(setup.organization));
  const principal = operatorPrincipal(org.id);
  const backends = await core.backends.list(principal);
  if (!backends.some((backend) => backend.name === EMBEDDED_BACKEND_NAME)) {
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
  }

  const cli = await readJson(setup.cliConfigFile);
  const section = cli.controlplane as { apiToken?: unknown } | undefined;
  const current = typeof section?.apiToken === 'string' ? section.apiToken : undefined;
  const stillValid =
    current !== undefined &&
    (await core.apiTokens.authenticate(current).then(
      (caller) => caller.orgId === org.id,
      () => false,
    ));
  const apiToken =
    stillValid && current
      ? current
      : (await core.apiTokens.create(org.id, { name: 'embedded-cli', kind: 'user' })).secret;
  // Re-read right before writing: the start script may have rewritten the file meanwhile.
  const latest = await readJson(setup.cliConfigFile);
  await writeAtomically(setup.cliConfigFile, {
    ...latest,
    controlplane: { grpc: grpcAddress, organization: org.name, apiToken },
  });
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
