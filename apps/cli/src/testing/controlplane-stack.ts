import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningArtifactCas, startArtifactCas } from '@cairn/artifact-cas';
import { createConfig, type RunningControlPlane, startControlPlane } from '@cairn/controlplane';
import { silentLogger } from '@cairn/observability';

export interface ControlPlaneStack {
  /** The folder holding `.cairn/cli.json`, with only the `controlplane` section the control plane wrote. */
  readonly project: string;
  /** A temp dir holding everything; the CAS serves filesystem backends anywhere below it. */
  readonly dir: string;
  readonly controlPlane: RunningControlPlane;
  readonly cas: RunningArtifactCas;
  /** The id of the organisation whose API token cli.json holds. */
  readonly orgId: string;
  close(): Promise<void>;
}

/**
 * What `npm start` runs, in this process on free ports: a control plane on PGlite in a temp dir whose
 * first organisation has a filesystem default backend (`local`) and writes the CLI's API token into
 * `<project>/.cairn/cli.json`, and a CAS that trusts the control plane's JWKS.
 */
export interface StackOptions {
  /** A PostgreSQL database URL (a fresh database); PGlite in the temp dir by default. */
  readonly databaseUrl?: string;
  /** The control plane's `attestations` section (e.g. skipDbStorage, runLifetimeSeconds). */
  readonly attestations?: Readonly<Record<string, unknown>>;
}

export async function startControlPlaneStack(options: StackOptions = {}): Promise<ControlPlaneStack> {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-cli-cp-'));
  const project = join(dir, 'project');
  await mkdir(join(project, '.cairn'), { recursive: true });
  await mkdir(join(dir, 'blobs'));
  let casAddress = '';
  let controlPlane: RunningControlPlane | undefined;
  let cas: RunningArtifactCas | undefined;
  const close = async () => {
    await cas?.close();
    await controlPlane?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const config = createConfig(
      {
        stateDir: 'state',
        grpc: { port: 0 },
        http: { port: 0 },
        validation: { tickMs: 3_600_000 },
        ...(options.databaseUrl === undefined ? {} : { database: { url: options.databaseUrl } }),
        ...(options.attestations === undefined ? {} : { attestations: options.attestations }),
        embedded: { organization: 'default', blobsDir: 'blobs', cliConfigFile: 'project/.cairn/cli.json' },
      },
      {},
      dir,
    );
    controlPlane = await startControlPlane(config, {
      logger: silentLogger,
      casGrpcAddress: () => casAddress,
    });
    cas = await startArtifactCas(
      {
        grpc: { port: 0 },
        http: { port: 0 },
        tokens: { jwksUrl: `${controlPlane.httpUrl}/.well-known/jwks.json` },
        backends: { filesystemRoots: [dir] },
        // The control plane's file secret store (its defaults under stateDir), as `npm start` shares it.
        secrets: {
          kind: 'file',
          directory: join(dir, 'state', 'secrets'),
          keyFile: join(dir, 'state', 'secrets.key'),
        },
      },
      { logger: silentLogger },
    );
    casAddress = cas.grpcAddress;
    // The embedded organisation's `local` backend is created once the CAS answered its write check.
    await controlPlane.setup;
    const org = await controlPlane.core.organizations.findByName('default');
    if (org === undefined) throw new Error('the embedded organisation was not created');
    return { project, dir, controlPlane, cas, orgId: org.id, close };
  } catch (error) {
    await close();
    throw error;
  }
}
