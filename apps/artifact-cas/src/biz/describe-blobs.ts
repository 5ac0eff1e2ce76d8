import { type BlobInfo, parseDigest } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { BackendAccess } from './backend-access.js';
import { notFound } from './read-blob.js';

/** How many existence checks one FindMissing runs at once against the backend. */
const EXISTS_CONCURRENCY = 16;

/** ResourceService use-cases: facts about stored blobs, by digest. */
export class DescribeBlobs {
  constructor(
    private readonly access: BackendAccess,
    private readonly maxDigests: number,
  ) {}

  async describe(claims: CasClaims, digest: string, signal: AbortSignal): Promise<BlobInfo> {
    const hex = parseDigest(digest);
    const backend = await this.access.open(claims, signal);
    try {
      const info = await backend.value.describe(hex, signal);
      if (!info) throw notFound(hex);
      return info;
    } finally {
      backend.release();
    }
  }

  /** The digests of `digests` not stored, in request order, each once. */
  async findMissing(claims: CasClaims, digests: readonly string[], signal: AbortSignal): Promise<string[]> {
    if (digests.length > this.maxDigests) {
      throw new CairnError(
        Code.InvalidArgument,
        `FindMissing takes at most ${this.maxDigests} digests per call, not ${digests.length}; split the batch`,
        { details: { reason: 'batch_too_large' } },
      );
    }
    const unique = [...new Set(digests)];
    const hexes = unique.map((digest, index) => {
      try {
        return parseDigest(digest);
      } catch (error) {
        throw new CairnError(Code.InvalidArgument, `digest #${index + 1}: ${(error as Error).message}`);
      }
    });
    if (hexes.length === 0) return [];
    const backend = await this.access.open(claims, signal);
    try {
      const present = await mapBounded(hexes, EXISTS_CONCURRENCY, (hex) => backend.value.exists(hex, signal));
      return unique.filter((_, index) => !present[index]);
    } finally {
      backend.release();
    }
  }
}

async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
