import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderKind } from '@cairn/backends';
import type { TestServers } from '@cairn/backends/testing';
import type { SecretValue } from '@cairn/secrets';
import { openDirectStore } from './direct.js';
import { createBucket } from './s3-bucket.js';

/** One backend as the control plane would register it: what a CAS token names, and its credentials. */
export interface BackendTarget {
  readonly kind: ProviderKind;
  /** Backend id in CAS tokens. */
  readonly id: string;
  readonly location: string;
  /** Secret-store reference of the credentials; '' when the backend needs none. */
  readonly secretRef: string;
  readonly credentials: SecretValue | undefined;
  /** What serves it, for the report. */
  readonly server: string;
}

export const ALL_KINDS: readonly ProviderKind[] = ['filesystem', 'oci', 'aws-s3', 'azure-blob'];

/**
 * Describes a backend on each running test server (and a filesystem one under `filesystemRoot`), and
 * readies it as validating a new backend would: the S3 bucket is created (S3 backends name an existing
 * bucket), then each backend's write access is checked, which also creates the Azure container.
 */
export async function prepareTargets(
  servers: TestServers,
  filesystemRoot: string,
  kinds: readonly ProviderKind[],
  signal: AbortSignal,
): Promise<BackendTarget[]> {
  const suffix = randomBytes(4).toString('hex');
  const targets: BackendTarget[] = [];
  for (const kind of kinds) {
    targets.push(await describeTarget(kind, servers, filesystemRoot, suffix, signal));
  }
  for (const target of targets) {
    const store = await openDirectStore(target);
    try {
      await store.checkWriteAccess(signal);
    } finally {
      await store.close();
    }
  }
  return targets;
}

async function describeTarget(
  kind: ProviderKind,
  servers: TestServers,
  filesystemRoot: string,
  suffix: string,
  signal: AbortSignal,
): Promise<BackendTarget> {
  const id = `bench-${kind}`;
  const secretRef = `orgs/bench/backends/${id}`;
  switch (kind) {
    case 'filesystem': {
      const location = join(filesystemRoot, `evidence-${suffix}`);
      await mkdir(location, { recursive: true });
      return {
        kind,
        id,
        location,
        secretRef: '',
        credentials: undefined,
        server: `local disk (${location})`,
      };
    }
    case 'oci': {
      const { host, username, password } = servers.oci.basicAuth;
      return {
        kind,
        id,
        location: `${host}/cairn/bench-${suffix}`,
        secretRef,
        credentials: { username, password },
        server: `docker-registry 2.8 with htpasswd basic auth (${host})`,
      };
    }
    case 'aws-s3': {
      const { endpoint, region, accessKeyId, secretAccessKey } = servers.s3;
      const bucket = `cairn-bench-${suffix}`;
      await createBucket(servers.s3, bucket, signal);
      return {
        kind,
        id,
        location: `${bucket}/evidence`,
        secretRef,
        credentials: { endpoint, region, accessKeyId, secretAccessKey },
        server: `OpenStack Swift s3api (${endpoint})`,
      };
    }
    case 'azure-blob': {
      const { endpoint, accountName, accountKey } = servers.azure;
      return {
        kind,
        id,
        location: `bench-${suffix}/evidence`,
        secretRef,
        credentials: { endpoint, accountName, accountKey },
        server: `Azurite (${endpoint})`,
      };
    }
  }
}
