import { LRUCache } from 'lru-cache';

/**
 * The most recently used bundle bytes per organisation and digest, bounded by entries and by bytes
 * (lru-cache). Bundles are immutable (the key is their digest), so an entry never goes stale.
 */
export class BundleCache {
  readonly #entries: LRUCache<string, Uint8Array> | undefined;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {
    // lru-cache needs a bound above zero; a cache of no entries simply keeps nothing.
    this.#entries =
      maxEntries > 0 && maxBytes > 0
        ? new LRUCache({
            max: maxEntries,
            maxSize: maxBytes,
            sizeCalculation: (bundle) => bundle.byteLength || 1,
          })
        : undefined;
  }

  get size(): number {
    return this.#entries?.size ?? 0;
  }

  get bytes(): number {
    return this.#entries?.calculatedSize ?? 0;
  }

  get(orgId: string, digest: string): Uint8Array | undefined {
    return this.#entries?.get(keyOf(orgId, digest));
  }

  /** A bundle larger than the whole cache is not kept (it would push everything else out). */
  set(orgId: string, digest: string, bundle: Uint8Array): void {
    if (bundle.byteLength > this.maxBytes) return;
    this.#entries?.set(keyOf(orgId, digest), bundle);
  }

  clear(): void {
    this.#entries?.clear();
  }
}

function keyOf(orgId: string, digest: string): string {
  return `${orgId}/${digest}`;
}
