import type { FileHandle } from 'node:fs/promises';

/** One write to the kernel: big enough to keep syscalls few, small enough to keep memory low. */
export const WRITE_BUFFER_BYTES = 1024 * 1024;
/** Buffers one file may fill or have in flight: the write-behind depth, and its memory bound. */
export const WRITE_BUFFERS = 4;

/**
 * Appends to a file through a few writes in flight, made in order by the thread pool while the caller goes
 * on (it hashes the next chunk on the main thread meanwhile; waiting for every write would put the hash and
 * the write one after the other). `append` resolves at once unless WRITE_BUFFERS writes are queued, which
 * is the backpressure, and memory per file stays bounded by about WRITE_BUFFERS chunks.
 *
 * A chunk of at least a buffer's size (a gRPC message) is written as it is, so the caller must not change
 * it afterwards. Smaller chunks (an HTTP body's 64 KiB socket reads) are copied into buffers of our own
 * until one is full, so the kernel gets 1 MiB writes and the caller's small buffers are free at once.
 *
 * The first failed write is kept and reported by every later call; nothing after it is written.
 */
export class WriteBehind {
  readonly #handle: FileHandle;
  readonly #bufferBytes: number;
  readonly #free: Buffer[] = [];
  #allocated = 0;
  #current: Buffer | undefined;
  #filled = 0;
  #queued = 0;
  /** The last write handed to the thread pool; the next one starts when it ended. */
  #tail: Promise<void> = Promise.resolve();
  #wake: (() => void) | undefined;
  #failure: { readonly error: unknown } | undefined;

  /** `expectedBytes` caps the buffer size, so a small blob does not take a whole WRITE_BUFFER_BYTES. */
  constructor(handle: FileHandle, expectedBytes: number) {
    this.#handle = handle;
    this.#bufferBytes = Math.max(1, Math.min(WRITE_BUFFER_BYTES, expectedBytes));
  }

  async append(chunk: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (this.#filled === 0 && chunk.byteLength >= this.#bufferBytes) {
      await this.#until(() => this.#queued < WRITE_BUFFERS);
      this.#enqueue(chunk, chunk.byteLength);
      return;
    }
    for (let offset = 0; offset < chunk.byteLength; ) {
      const buffer = this.#current ?? (await this.#takeBuffer());
      this.#current = buffer;
      const copied = Math.min(buffer.byteLength - this.#filled, chunk.byteLength - offset);
      buffer.set(chunk.subarray(offset, offset + copied), this.#filled);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === buffer.byteLength) this.#writeCurrent();
    }
  }

  /** Writes what is buffered and waits for every write; throws the first failure. */
  async flush(): Promise<void> {
    this.#throwIfFailed();
    this.#writeCurrent();
    await this.#tail;
    this.#throwIfFailed();
  }

  /** Waits for writes in flight and drops what is buffered; never throws. */
  async discard(): Promise<void> {
    this.#failure ??= { error: new Error('the write was discarded') };
    this.#current = undefined;
    this.#filled = 0;
    await this.#tail;
  }

  #writeCurrent(): void {
    const buffer = this.#current;
    if (!buffer || this.#filled === 0) return;
    const length = this.#filled;
    this.#current = undefined;
    this.#filled = 0;
    this.#enqueue(buffer, length, buffer);
  }

  /** Queues a write of `chunk`'s first `length` bytes; `owned` goes back to the free list afterwards. */
  #enqueue(chunk: Uint8Array, length: number, owned?: Buffer): void {
    this.#queued += 1;
    this.#tail = this.#tail.then(async () => {
      try {
        if (!this.#failure) await writeAll(this.#handle, chunk, length);
      } catch (error) {
        this.#failure ??= { error };
      } finally {
        this.#queued -= 1;
        if (owned) this.#free.push(owned);
        const wake = this.#wake;
        this.#wake = undefined;
        wake?.();
      }
    });
  }

  /** A free buffer of our own; a new one while fewer than WRITE_BUFFERS exist. */
  async #takeBuffer(): Promise<Buffer> {
    await this.#until(
      () => this.#queued < WRITE_BUFFERS && (this.#free.length > 0 || this.#allocated < WRITE_BUFFERS),
    );
    const free = this.#free.pop();
    if (free) return free;
    this.#allocated += 1;
    return Buffer.allocUnsafeSlow(this.#bufferBytes);
  }

  /** Waits until `ready()`, checking again after every write that ends; throws once a write failed. */
  async #until(ready: () => boolean): Promise<void> {
    for (;;) {
      this.#throwIfFailed();
      if (ready()) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}

/** A regular file may take fewer bytes than offered (a full disk, a signal); keep going until all are in. */
async function writeAll(handle: FileHandle, chunk: Uint8Array, length: number): Promise<void> {
  for (let written = 0; written < length; ) {
    const { bytesWritten } = await handle.write(chunk, written, length - written);
    written += bytesWritten;
  }
}
