import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageReference } from '@cairn/attestation/evidence';
import { digestOf } from '@cairn/attestation/evidence';
import { OciClient, parseOciLocation } from '@cairn/backends/oci';
import { CairnError, Code } from '@cairn/errors';

// What a registry may answer for a tag: an image index (multi-platform) or one manifest, OCI or Docker.
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface ResolvedImage {
  /** `sha256:<hex>` of the manifest the registry serves for the reference. */
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
}

/**
 * Asks the image's registry for its manifest (nothing is uploaded) and returns the manifest's digest:
 * the image's identity. A reference pinned to a digest is checked against what the registry serves.
 * Credentials: CAIRN_REGISTRY_USERNAME/CAIRN_REGISTRY_PASSWORD, else the `auths` of Docker's
 * config.json ($DOCKER_CONFIG or ~/.docker), else anonymous.
 */
export async function resolveImage(
  image: ImageReference,
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): Promise<ResolvedImage> {
  const host = image.registry === 'docker.io' ? 'registry-1.docker.io' : image.registry;
  const client = new OciClient(
    parseOciLocation(`${host}/${image.repository}`),
    await credentialsFor(image.registry, env),
  );
  const reference = image.digest ?? image.tag ?? 'latest';
  const manifest = await client.getManifest(reference, MANIFEST_TYPES, signal);
  if (manifest === undefined) {
    throw new CairnError(
      Code.NotFound,
      `${image.reference} is not in its registry; check the name and the tag`,
      {
        details: { reason: 'image_not_found' },
      },
    );
  }
  const digest = digestOf(manifest.bytes);
  if (image.digest !== undefined && image.digest !== digest) {
    throw new CairnError(
      Code.DataLoss,
      `the registry serves ${digest} for ${image.reference}, not the digest the reference names`,
      { details: { reason: 'digest_mismatch' } },
    );
  }
  return { digest, size: manifest.bytes.byteLength, mediaType: manifest.mediaType };
}

async function credentialsFor(
  registry: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ username: string; password: string } | Record<string, never>> {
  const { CAIRN_REGISTRY_USERNAME: username, CAIRN_REGISTRY_PASSWORD: password } = env;
  if (username && password) return { username, password };
  const file = join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
  let auths: Record<string, { auth?: string }> = {};
  try {
    auths = (JSON.parse(await readFile(file, 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return {};
  }
  const keys =
    registry === 'docker.io'
      ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io']
      : [registry, `https://${registry}`];
  for (const key of keys) {
    const auth = auths[key]?.auth;
    if (auth === undefined) continue;
    const [user, ...rest] = Buffer.from(auth, 'base64').toString('utf8').split(':');
    if (user && rest.length > 0) return { username: user, password: rest.join(':') };
  }
  return {};
}
