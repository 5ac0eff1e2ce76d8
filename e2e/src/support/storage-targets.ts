import { randomBytes } from 'node:crypto';
import { providerFor } from '@cairn/backends';
import {
  AzuriteInspection,
  RegistryStorage,
  type RunningServer,
  SwiftInspection,
  startAzurite,
  startRegistry,
  startSwift,
} from '@cairn/backends/testing';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

export type RemoteProvider = 'oci' | 'aws-s3' | 'azure-blob';

/**
 * A real storage server behind a fault proxy: the backend the CAS is given names the proxy, while the
 * test looks at the server itself (not through the proxy, not through Cairn) to see what is stored.
 */
export interface StorageTarget {
  readonly provider: RemoteProvider;
  /** What the server is, for test names and RELIABILITY.md. */
  readonly server: string;
  readonly location: string;
  /** The credentials a secret store holds for the backend (flat strings); empty for anonymous access. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly proxy: FaultProxy;
  /** Whether the server holds `hex` as a visible blob (its tag, object or committed blob). */
  visible(hex: string): Promise<boolean>;
  /** Staged leftovers (upload sessions, multipart uploads, uncommitted blocks), by name. */
  leftovers(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startStorageTarget(provider: RemoteProvider): Promise<StorageTarget> {
  switch (provider) {
    case 'oci':
      return startOci();
    case 'aws-s3':
      return startS3();
    case 'azure-blob':
      return startAzure();
  }
}

async function startOci(): Promise<StorageTarget> {
  const registry = await startRegistry({ kind: 'none' });
  return withProxy(registry, registry.info.host, async (proxy) => {
    const repository = `faults/${randomBytes(4).toString('hex')}`;
    const storage = new RegistryStorage(registry.info.storageDir, repository);
    return {
      provider: 'oci',
      server: 'docker-registry (distribution 2.8)',
      location: `${proxy.address}/${repository}`,
      credentials: {},
      visible: async (hex) => (await storage.visibleBlobs()).includes(hex),
      leftovers: () => storage.leftovers(),
      stop: async () => undefined,
    };
  });
}

async function startS3(): Promise<StorageTarget> {
  const swift = await startSwift();
  const { info } = swift;
  return withProxy(swift, new URL(info.endpoint).host, async (proxy) => {
    const inspection = await SwiftInspection.withNewBucket(info, '');
    return {
      provider: 'aws-s3',
      server: 'OpenStack Swift with s3api',
      location: inspection.bucket,
      credentials: {
        accessKeyId: info.accessKeyId,
        secretAccessKey: info.secretAccessKey,
        region: info.region,
        endpoint: `http://${proxy.address}`,
        forcePathStyle: 'true',
      },
      visible: async (hex) => (await inspection.visibleDigests()).includes(hex),
      leftovers: () => inspection.leftovers(),
      stop: async () => inspection.client.destroy(),
    };
  });
}

async function startAzure(): Promise<StorageTarget> {
  const azurite = await startAzurite();
  const { info } = azurite;
  const endpoint = new URL(info.endpoint);
  return withProxy(azurite, endpoint.host, async (proxy) => {
    const inspection = AzuriteInspection.withNewName(info, '');
    const credentials = {
      accountName: info.accountName,
      accountKey: info.accountKey,
      endpoint: `http://${proxy.address}${endpoint.pathname}`,
    };
    // The container exists once the control plane validated the backend; here the driver's check makes it.
    const provider = providerFor('azure-blob');
    const driver = await provider.createDriver({
      location: inspection.containerName,
      credentials: provider.parseCredentials(credentials),
    });
    try {
      await driver.checkWriteAccess(AbortSignal.timeout(30_000));
    } finally {
      await driver.close();
    }
    return {
      provider: 'azure-blob',
      server: 'Azurite 3.35',
      location: inspection.containerName,
      credentials,
      visible: async (hex) => (await inspection.visibleDigests()).includes(hex),
      leftovers: () => inspection.leftovers(),
      stop: async () => undefined,
    };
  });
}

/** Puts a fault proxy in front of `host`, builds the target, and stops both (and the server) together. */
async function withProxy(
  server: RunningServer<unknown>,
  host: string,
  build: (proxy: FaultProxy) => Promise<Omit<StorageTarget, 'proxy'>>,
): Promise<StorageTarget> {
  let proxy: FaultProxy | undefined;
  try {
    proxy = await startFaultProxy(host);
    const target = await build(proxy);
    const running = proxy;
    return {
      ...target,
      proxy: running,
      stop: async () => {
        await target.stop().catch(() => undefined);
        await running.close();
        await server.stop();
      },
    };
  } catch (error) {
    await proxy?.close();
    await server.stop();
    throw error;
  }
}
