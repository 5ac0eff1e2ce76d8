import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { EMPTY_CONFIG } from '../../oci/manifest.js';

const TAG_PREFIX = 'cairn-sha256-';
const CHECKPOINT_TAG_PREFIX = 'cairn-upload-';

/**
 * Looks at a distribution 2.8 registry's filesystem storage directly, never through the driver, so tests
 * see what really is there: tags, manifests, layer links and open upload sessions of one repository.
 */
export class RegistryStorage {
  constructor(
    private readonly storageDir: string,
    private readonly repository: string,
  ) {}

  get #root(): string {
    return join(this.storageDir, 'docker', 'registry', 'v2');
  }

  get #repositoryDir(): string {
    return join(this.#root, 'repositories', ...this.repository.split('/'));
  }

  /** Hex digests of the blobs whose evidence tag exists. */
  async visibleBlobs(): Promise<string[]> {
    const tags = await this.#tags();
    return [...tags.keys()]
      .filter((tag) => tag.startsWith(TAG_PREFIX))
      .map((tag) => tag.slice(TAG_PREFIX.length));
  }

  /**
   * Upload sessions the registry still knows (it reads a session's `startedat`), upload checkpoints (tagged
   * manifests of their own), untagged manifests, and layers no tagged manifest names (the empty config
   * excepted). A cancelled session leaves an empty `hashstates` folder behind in distribution 2.8 (it
   * rewrites the hash state after deleting the session); the registry no longer knows that session, so it
   * is not counted.
   */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    for (const uuid of await names(join(this.#repositoryDir, '_uploads'))) {
      const session = join(this.#repositoryDir, '_uploads', uuid);
      if ((await exists(join(session, 'startedat'))) || (await exists(join(session, 'data')))) {
        found.push(`upload session ${uuid}`);
      }
    }
    const tags = await this.#tags();
    for (const tag of tags.keys()) {
      if (tag.startsWith(CHECKPOINT_TAG_PREFIX)) found.push(`upload checkpoint ${tag}`);
    }
    const tagged = new Set(tags.values());
    const referencedLayers = new Set<string>([EMPTY_CONFIG.hex]);
    for (const digest of tagged) {
      for (const layer of await this.#layersOf(digest)) referencedLayers.add(layer);
    }
    for (const hex of await names(join(this.#repositoryDir, '_manifests', 'revisions', 'sha256'))) {
      if (
        !tagged.has(hex) &&
        (await exists(join(this.#repositoryDir, '_manifests', 'revisions', 'sha256', hex, 'link')))
      ) {
        found.push(`untagged manifest sha256:${hex}`);
      }
    }
    for (const hex of await names(join(this.#repositoryDir, '_layers', 'sha256'))) {
      if (
        !referencedLayers.has(hex) &&
        (await exists(join(this.#repositoryDir, '_layers', 'sha256', hex, 'link')))
      ) {
        found.push(`unreferenced layer sha256:${hex}`);
      }
    }
    return found.sort();
  }

  /** Upload session folders of the repository, whatever state they are in. */
  async uploadFolders(): Promise<string[]> {
    return names(join(this.#repositoryDir, '_uploads'));
  }

  /** Inverts one byte in the middle of a stored blob's data file, keeping its size. */
  async corrupt(hex: string): Promise<void> {
    const path = this.blobDataPath(hex);
    const file = await open(path, 'r+');
    try {
      const { size } = await file.stat();
      const position = Math.floor(size / 2);
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, position);
      byte.writeUInt8(byte.readUInt8(0) ^ 0xff, 0);
      await file.write(byte, 0, 1, position);
    } finally {
      await file.close();
    }
  }

  /** The file that links a blob into the repository; distribution reads it on every HEAD, GET and manifest check. */
  layerLinkPath(hex: string): string {
    return join(this.#repositoryDir, '_layers', 'sha256', hex, 'link');
  }

  /** The file that points a tag at its manifest. */
  /** The folder of the repository's open upload sessions. */
  uploadsPath(): string {
    return join(this.#repositoryDir, '_uploads');
  }

  tagLinkPath(tag: string): string {
    return join(this.#repositoryDir, '_manifests', 'tags', tag, 'current', 'link');
  }

  blobDataPath(hex: string): string {
    return join(this.#root, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  /** tag → hex of the manifest it points at. */
  async #tags(): Promise<Map<string, string>> {
    const tags = new Map<string, string>();
    const dir = join(this.#repositoryDir, '_manifests', 'tags');
    for (const tag of await names(dir)) {
      try {
        const link = await readFile(join(dir, tag, 'current', 'link'), 'utf8');
        tags.set(tag, link.trim().replace(/^sha256:/, ''));
      } catch {
        // A tag being written or removed right now.
      }
    }
    return tags;
  }

  async #layersOf(manifestHex: string): Promise<string[]> {
    try {
      const manifest = JSON.parse(await readFile(this.blobDataPath(manifestHex), 'utf8')) as {
        layers?: Array<{ digest?: string }>;
      };
      return (manifest.layers ?? []).flatMap((layer) =>
        typeof layer.digest === 'string' ? [layer.digest.replace(/^sha256:/, '')] : [],
      );
    } catch {
      return [];
    }
  }
}

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
