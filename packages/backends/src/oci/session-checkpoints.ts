import { sha256Hex } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';
import { parseCheckpointManifest, type SessionCheckpoint } from './checkpoint-manifest.js';
import type { OciClient } from './client.js';
import { OCI_IMAGE_MANIFEST } from './manifest.js';

/**
 * Repositories (by canonical location) whose registry refused to delete a checkpoint manifest in this
 * process. Kept per process, not per driver: the CAS builds a new driver each time it reloads a backend's
 * credentials (every 30 s by default), and each would otherwise leave a checkpoint before learning again.
 */
const refusingDeletes = new Set<string>();

/** Digests as a session note names them: `sha256:` and 64 lower-case hex characters. */
export const MANIFEST_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Upload checkpoints kept as tagged manifests in the client's repository (see checkpoint-manifest.ts). A
 * registry that refuses to delete manifests (delete turned off, or a credential without the right) would
 * keep every checkpoint replaced and every one left at the end, so after its first refusal this process
 * saves no more there, and its uploads go on without.
 */
export class SessionCheckpoints {
  constructor(
    private readonly client: OciClient,
    /** Pushes the empty config blob every checkpoint manifest names, once per repository. */
    private readonly ensureEmptyConfig: (signal: AbortSignal) => Promise<void>,
  ) {}

  /** Whether checkpoints are kept here: false once the registry refused to delete one. */
  get deletesAllowed(): boolean {
    return !refusingDeletes.has(this.client.location.canonical);
  }

  /** The checkpoint under `tag` and its manifest's digest, or undefined when there is none of Cairn's. */
  async read(
    tag: string,
    signal: AbortSignal,
  ): Promise<{ checkpoint: SessionCheckpoint; digest: string } | undefined> {
    let found: Awaited<ReturnType<OciClient['getManifest']>>;
    try {
      found = await this.client.getManifest(tag, OCI_IMAGE_MANIFEST, signal);
    } catch (error) {
      // A manifest too large to be ours is no checkpoint; the upload starts again.
      if (error instanceof CairnError && error.code === Code.FailedPrecondition) return undefined;
      throw error;
    }
    if (found === undefined) return undefined;
    const checkpoint = parseCheckpointManifest(found.bytes);
    if (checkpoint === undefined || !this.#isOwnSession(checkpoint.location)) return undefined;
    return { checkpoint, digest: `sha256:${sha256Hex(found.bytes)}` };
  }

  /** Pushes a checkpoint manifest (bytes of `checkpointManifest`) under `tag`. */
  async write(tag: string, manifest: Uint8Array, signal: AbortSignal): Promise<void> {
    await this.ensureEmptyConfig(signal);
    await this.client.putManifest(tag, OCI_IMAGE_MANIFEST, manifest, signal);
  }

  /**
   * Deletes a checkpoint's manifest, and with it any tag on it; resolves whether there was one. A registry
   * refusing the delete answers false, and gets no more checkpoints from this process.
   */
  async remove(digest: string, signal: AbortSignal): Promise<boolean> {
    try {
      return await this.client.deleteManifest(digest, signal);
    } catch (error) {
      if (error instanceof CairnError && [Code.Unimplemented, Code.PermissionDenied].includes(error.code)) {
        refusingDeletes.add(this.client.location.canonical);
        return false;
      }
      throw error;
    }
  }

  /**
   * Whether a Location read from the repository names an upload session of this repository on this
   * registry: a checkpoint someone else wrote must never send the registry credentials elsewhere. The
   * session id is plain characters only, so no encoded '/' or '..' can lead the path out of the repository.
   */
  #isOwnSession(location: string): boolean {
    const { origin, repository } = this.client.location;
    const prefix = `/v2/${repository}/blobs/uploads/`;
    try {
      const url = new URL(location);
      return (
        url.origin === new URL(origin).origin &&
        url.pathname.startsWith(prefix) &&
        /^[A-Za-z0-9._~-]+$/.test(url.pathname.slice(prefix.length))
      );
    } catch {
      return false;
    }
  }
}
