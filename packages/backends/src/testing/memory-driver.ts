import { CairnError, Code } from '@cairn/errors';
import type { BlobInfo, BlobMeta, BlobRef, ByteRange, Driver, StagedBlob } from '../core/provider.js';

/**
 * A driver that keeps blobs in memory and records what the verifying layer asks of it. It exists for the
 * unit tests of core/: it buffers whole blobs, so it must never hold real data.
 */
export class MemoryDriver implements Driver {
  readonly blobs = new Map<string, { bytes: Buffer; meta: BlobMeta }>();
  readonly calls: string[] = [];
  /** Staged uploads neither committed nor aborted. */
  readonly pending = new Set<MemoryStagedBlob>();
  readChunkSize = 4;
  failNextCommit = false;

  async stage(blob: BlobRef, meta: BlobMeta): Promise<StagedBlob> {
    this.calls.push(`stage ${blob.hex.slice(0, 8)}`);
    const staged = new MemoryStagedBlob(this, blob, meta);
    this.pending.add(staged);
    return staged;
  }

  async read(hex: string, range: ByteRange): Promise<AsyncIterable<Uint8Array>> {
    this.calls.push(`read ${hex.slice(0, 8)}`);
    const stored = this.blobs.get(hex);
    if (!stored) throw new CairnError(Code.NotFound, 'not stored');
    const bytes = stored.bytes.subarray(
      range.offset,
      range.length === undefined ? undefined : range.offset + range.length,
    );
    const size = this.readChunkSize;
    return (async function* () {
      for (let at = 0; at < bytes.byteLength; at += size) yield Buffer.from(bytes.subarray(at, at + size));
    })();
  }

  async stat(hex: string): Promise<BlobInfo | undefined> {
    this.calls.push(`stat ${hex.slice(0, 8)}`);
    const stored = this.blobs.get(hex);
    return stored && { hex, size: stored.bytes.byteLength, ...stored.meta };
  }

  async checkWriteAccess(): Promise<void> {
    this.calls.push('checkWriteAccess');
  }

  async close(): Promise<void> {
    this.calls.push('close');
  }
}

class MemoryStagedBlob implements StagedBlob {
  readonly chunks: Buffer[] = [];

  constructor(
    private readonly driver: MemoryDriver,
    private readonly blob: BlobRef,
    private readonly meta: BlobMeta,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.chunks.push(Buffer.from(chunk));
  }

  async commit(): Promise<void> {
    this.driver.calls.push('commit');
    if (this.driver.failNextCommit) {
      this.driver.failNextCommit = false;
      throw new CairnError(Code.Unavailable, 'commit failed');
    }
    this.driver.blobs.set(this.blob.hex, { bytes: Buffer.concat(this.chunks), meta: this.meta });
    this.driver.pending.delete(this);
  }

  async abort(): Promise<void> {
    this.driver.calls.push('abort');
    this.driver.pending.delete(this);
  }
}
