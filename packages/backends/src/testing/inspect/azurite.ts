import { randomBytes } from 'node:crypto';
import { BlobServiceClient, type ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { AzuriteInfo } from '../servers/azurite.js';

/** Looks at the Azurite test server directly, never through the driver under test. */
export class AzuriteInspection {
  readonly container: ContainerClient;

  constructor(
    readonly info: AzuriteInfo,
    readonly containerName: string,
    readonly prefix: string,
  ) {
    const service = new BlobServiceClient(
      info.endpoint,
      new StorageSharedKeyCredential(info.accountName, info.accountKey),
    );
    this.container = service.getContainerClient(containerName);
  }

  /** A random container name, not created: the driver's write-access check creates it. */
  static withNewName(info: AzuriteInfo, prefix: string): AzuriteInspection {
    return new AzuriteInspection(info, `cairn-test-${randomBytes(6).toString('hex')}`, prefix);
  }

  /** Names of blobs under `prefix`: committed ones, or also those that hold only uncommitted blocks. */
  async names(prefix: string, includeUncommitted = false): Promise<string[]> {
    if (!(await this.container.exists())) return [];
    const names: string[] = [];
    for await (const blob of this.container.listBlobsFlat({
      prefix,
      includeUncommitedBlobs: includeUncommitted,
    })) {
      names.push(blob.name);
    }
    return names;
  }

  /** Hex digests of the committed blobs under `<prefix>sha256/`. */
  async visibleDigests(): Promise<string[]> {
    const base = `${this.prefix}sha256/`;
    return (await this.names(base)).map((name) => name.slice(base.length));
  }

  /** Blobs of nothing but uncommitted blocks, uncommitted blocks on committed blobs, and probe blobs. */
  async leftovers(): Promise<string[]> {
    const committed = new Set(await this.names(this.prefix));
    const found: string[] = [];
    for (const name of await this.names(this.prefix, true)) {
      if (!committed.has(name)) {
        found.push(`uncommitted blob ${name}`);
        continue;
      }
      // A blob deleted since the listing (an upload's checkpoint, removed at its commit) left nothing.
      const blocks = await this.container
        .getBlockBlobClient(name)
        .getBlockList('uncommitted')
        .catch((error: unknown) => {
          if ((error as { statusCode?: number }).statusCode === 404) return undefined;
          throw error;
        });
      if (blocks === undefined) continue;
      const count = blocks.uncommittedBlocks?.length ?? 0;
      if (count > 0) found.push(`${count} uncommitted blocks on ${name}`);
      if (name.startsWith(`${this.prefix}.cairn-probe/`)) found.push(`probe blob ${name}`);
      if (name.startsWith(`${this.prefix}.cairn-uploads/`)) found.push(`upload checkpoint ${name}`);
    }
    return found;
  }

  /** Replaces a stored blob by the same bytes with the middle one inverted, keeping its metadata. */
  async corrupt(name: string): Promise<void> {
    const blob = this.container.getBlockBlobClient(name);
    const properties = await blob.getProperties();
    const bytes = await blob.downloadToBuffer();
    const middle = Math.floor(bytes.byteLength / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    await blob.uploadData(bytes, { metadata: properties.metadata ?? {} });
  }

  async deleteContainer(): Promise<void> {
    await this.container.deleteIfExists().catch(() => undefined);
  }
}
