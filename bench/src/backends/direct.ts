import { type BlobStore, createBlobStore, providerFor } from '@cairn/backends';
import type { Payload } from '../data.js';
import type { BackendTarget } from './targets.js';

/**
 * The "direct" path: the provider's own driver (the same SDK or fetch client code the CAS runs) wrapped
 * in `createBlobStore`, in the bench process. Uploads are hashed once while streaming and downloads
 * verified once, as they are inside the CAS; only the CAS hop is missing.
 */
export async function openDirectStore(target: BackendTarget): Promise<BlobStore> {
  const provider = providerFor(target.kind);
  const location = provider.parseLocation(target.location);
  const credentials = provider.parseCredentials(target.credentials);
  return createBlobStore(await provider.createDriver({ location, credentials }));
}

export async function directUpload(store: BlobStore, payload: Payload, signal: AbortSignal): Promise<void> {
  const { existed } = await store.upload(chunksOf(payload), { hex: payload.hex, size: payload.size }, signal);
  if (existed) throw new Error(`sha256:${payload.hex} was stored already; each upload needs a fresh payload`);
}

/** Downloads a whole blob through the verifying layer; resolves with the byte count. */
export async function directDownload(store: BlobStore, hex: string, signal: AbortSignal): Promise<number> {
  const download = await store.download(hex, { offset: 0 }, signal);
  let received = 0;
  for await (const chunk of download.body) received += chunk.byteLength;
  return received;
}

async function* chunksOf(payload: Payload): AsyncGenerator<Uint8Array> {
  yield* payload.chunks();
}
