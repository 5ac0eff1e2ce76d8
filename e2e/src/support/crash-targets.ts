import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import type { ProviderKind } from '@cairn/backends';
import { FilesystemDriver } from '@cairn/backends';
import {
  type AzuriteInfo,
  AzuriteInspection,
  listLeftovers,
  type RegistryEndpoint,
  RegistryStorage,
  type SwiftInfo,
  SwiftInspection,
} from '@cairn/backends/testing';
import type { SecretStore } from '@cairn/secrets';

/**
 * One backend of each provider as the crash tests use it: what CAS tokens name, and a look at its server
 * that never goes through Cairn (the inspections of @cairn/backends/testing).
 */
export interface CrashTarget {
  readonly provider: ProviderKind;
  readonly backend: { readonly id: string; readonly provider: ProviderKind; readonly location: string };
  /** The secret-store reference of its credentials ('' for none). */
  readonly secret: string;
  /** Everything unfinished uploads left on the server, as the server shows it. */
  leftovers(): Promise<string[]>;
  /**
   * Whether `count` uploads in flight hold bytes on the server now (a staging file of `bytes`, a stored
   * part, a staged block, an upload session holding its first PATCH), so a kill leaves them behind.
   */
  holdsUploads(count: number, bytes: number): Promise<boolean>;
  close(): Promise<void>;
}

const signal = () => AbortSignal.timeout(30_000);

export function filesystemTarget(location: string): CrashTarget {
  const { layout } = new FilesystemDriver(location);
  return {
    provider: 'filesystem',
    backend: { id: 'crash-filesystem', provider: 'filesystem', location },
    secret: '',
    leftovers: () => listLeftovers(layout, signal()),
    async holdsUploads(count, bytes) {
      const names = await readdir(layout.stagingDir).catch(() => [] as string[]);
      const sizes = await Promise.all(
        names.map(async (name) => (await stat(join(layout.stagingDir, name)).catch(() => undefined))?.size),
      );
      return sizes.filter((size) => size === bytes).length === count;
    },
    close: async () => {},
  };
}

/**
 * `journalDir`, when given, is the CAS's `sweeper.journalDir`: uploads count as held only once the CAS has
 * noted the Location each session's PATCH answered, since a kill before that leaves a note the registry no
 * longer accepts (the sweep counts that session as left for the registry's purge).
 */
export function ociTarget(
  registry: RegistryEndpoint,
  repository: string,
  chunkBytes: number,
  id = 'crash-oci',
  journalDir?: string,
): CrashTarget {
  const storage = new RegistryStorage(registry.storageDir, repository);
  const uploads = join(registry.storageDir, 'docker/registry/v2/repositories', repository, '_uploads');
  return {
    provider: 'oci',
    backend: { id, provider: 'oci', location: `${registry.host}/${repository}` },
    secret: '',
    leftovers: () => storage.leftovers(),
    async holdsUploads(count) {
      // A session holds its first PATCH (the registry keeps chunks of chunkBytes) and none is in flight.
      const held: string[] = [];
      for (const uuid of await storage.uploadFolders()) {
        const data = await stat(join(uploads, uuid, 'data')).catch(() => undefined);
        if (data?.size === chunkBytes) held.push(uuid);
      }
      if (held.length !== count) return false;
      if (journalDir === undefined) return true;
      // Each held session's note names the Location its PATCH answered, the one at chunkBytes.
      const noted = await notedOffsets(journalDir);
      return held.every((uuid) => noted.get(uuid) === chunkBytes);
    },
    close: async () => {},
  };
}

/**
 * The offset each OCI session note under `journalDir` was noted at, by upload session id: read from the
 * noted Location's `_state`, which distribution 2.8 makes of a 32-byte HMAC and the session's JSON state.
 */
async function notedOffsets(journalDir: string): Promise<Map<string, number>> {
  const offsets = new Map<string, number>();
  const files = await readdir(journalDir, { recursive: true }).catch(() => [] as string[]);
  for (const file of files.filter((name) => name.endsWith('.session'))) {
    const [location = ''] = (await readFile(join(journalDir, file), 'utf8').catch(() => '')).split('\n');
    const url = URL.canParse(location) ? new URL(location) : undefined;
    const uuid = url && /\/blobs\/uploads\/([^/]+)$/.exec(url.pathname)?.[1];
    const state = url?.searchParams.get('_state');
    if (!uuid || !state) continue;
    try {
      const { Offset } = JSON.parse(Buffer.from(state, 'base64url').subarray(32).toString('utf8'));
      if (typeof Offset === 'number') offsets.set(uuid, Offset);
    } catch {
      // Not distribution's format: the note does not count as caught up.
    }
  }
  return offsets;
}

/** `id` names the backend and its secret: one test file that opens several targets gives each its own. */
export async function s3Target(info: SwiftInfo, secrets: SecretStore, id = 'crash-s3'): Promise<CrashTarget> {
  const inspection = await SwiftInspection.withNewBucket(info, 'crash/');
  const secret = `orgs/e2e/backends/${id}`;
  await secrets.put(
    secret,
    {
      endpoint: info.endpoint,
      region: info.region,
      accessKeyId: info.accessKeyId,
      secretAccessKey: info.secretAccessKey,
    },
    signal(),
  );
  return {
    provider: 'aws-s3',
    backend: { id, provider: 'aws-s3', location: `${inspection.bucket}/crash` },
    secret,
    leftovers: () => inspection.leftovers(),
    async holdsUploads(count) {
      let withPart = 0;
      for (const { key, uploadId } of await inspection.multipartUploads()) {
        const parts = await inspection.client.send(
          new ListPartsCommand({ Bucket: inspection.bucket, Key: key, UploadId: uploadId }),
        );
        if ((parts.Parts ?? []).length > 0) withPart += 1;
      }
      return withPart === count;
    },
    close: () => inspection.deleteBucket(),
  };
}

export async function azureTarget(
  info: AzuriteInfo,
  secrets: SecretStore,
  id = 'crash-azure',
): Promise<CrashTarget> {
  const inspection = AzuriteInspection.withNewName(info, 'crash/');
  // The control plane's validation creates a container; here the test does.
  await inspection.container.createIfNotExists();
  const secret = `orgs/e2e/backends/${id}`;
  await secrets.put(
    secret,
    { accountName: info.accountName, accountKey: info.accountKey, endpoint: info.endpoint },
    signal(),
  );
  return {
    provider: 'azure-blob',
    backend: { id, provider: 'azure-blob', location: `${inspection.containerName}/crash` },
    secret,
    leftovers: () => inspection.leftovers(),
    async holdsUploads(count) {
      const found = await inspection.leftovers();
      return found.filter((line) => line.startsWith('uncommitted blob')).length === count;
    },
    close: () => inspection.deleteContainer(),
  };
}
