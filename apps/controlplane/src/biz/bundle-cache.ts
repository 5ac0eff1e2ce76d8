/**
 * A small least-recently-used cache of bundle bytes per organisation and digest, bounded by entries and
 * by bytes. Bundles are immutable (the key is their digest), so an entry never goes stale.
 */
export class BundleCache {
  readonly #entries = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(orgId: string, digest: string): Uint8Array | undefined {
    const key = keyOf(orgId, digest);
    const bundle = this.#entries.get(key);
    if (bundle === undefined) return undefined;
    // Map iteration order is insertion order: re-inserting marks the entry as most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, bundle);
    return bundle;
  }

  set(orgId: string, digest: string, bundle: Uint8Array): void {
    if (this.maxEntries === 0 || bundle.byteLength > this.maxBytes) return;
    const key = keyOf(orgId, digest);
    this.#remove(key);
    this.#entries.set(key, bundle);
    this.#bytes += bundle.byteLength;
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#remove(oldest);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #remove(key: string): void {
    const bundle = this.#entries.get(key);
    if (bundle === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= bundle.byteLength;
  }
}

function keyOf(orgId: string, digest: string): string {
  return `${orgId}/${digest}`;
}
