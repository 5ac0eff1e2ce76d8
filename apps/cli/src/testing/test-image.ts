import { createHash } from 'node:crypto';

/**
 * Pushes a small image (a config and one layer) to a plain-HTTP registry the tests run, under `tag`,
 * as `docker push` would, and returns its manifest digest: the registry's own answer, for the tests to
 * compare with what Cairn resolves.
 */
export async function pushTestImage(host: string, repository: string, tag: string): Promise<string> {
  const base = `http://${host}/v2/${repository}`;
  const push = async (bytes: Buffer) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    // distribution 2.8 opens a session on POST; the whole blob goes in the closing PUT.
    const session = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
    const location = session.headers.get('location');
    if (session.status !== 202 || location === null)
      throw new Error(`upload start answered ${session.status}`);
    const target = new URL(location, `http://${host}`);
    target.searchParams.set('digest', digest);
    const response = await fetch(target, { method: 'PUT', body: bytes });
    if (response.status !== 201) throw new Error(`blob push answered ${response.status}`);
    return { digest, size: bytes.byteLength };
  };
  const config = await push(
    Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    ),
  );
  const layer = await push(Buffer.from(`layer of ${repository}:${tag} ${Date.now()}`));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  );
  const response = await fetch(`${base}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  if (response.status !== 201) throw new Error(`manifest push answered ${response.status}`);
  return response.headers.get('docker-content-digest') ?? '';
}
