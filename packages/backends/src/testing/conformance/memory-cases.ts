import { expect, it } from 'vitest';
import type { ContextGetter, ResolvedOptions } from './context.js';
import { describeBody, describeGenerated, MiB, pseudoRandomChunks } from './pseudo-random.js';
import { RssPeak } from './rss-peak.js';

export function memoryCases(context: ContextGetter, options: ResolvedOptions): void {
  const size = options.largeBlobBytes;
  const limit = options.rssGrowthLimitBytes;
  it(
    `moves ${formatBytes(size)} up and down with RSS growing less than ${formatBytes(limit)}`,
    async () => {
      const { store, live, seed } = context();
      const name = seed('large');
      const blob = await describeGenerated(name, size);
      const peak = new RssPeak();
      async function* source(): AsyncGenerator<Uint8Array> {
        for (const chunk of pseudoRandomChunks(name, size)) {
          peak.sample();
          yield chunk;
        }
      }
      expect(await store.upload(source(), blob, live)).toEqual({ existed: false });
      const download = await store.download(blob.hex, { offset: 0 }, live);
      expect(await describeBody(download.body, () => peak.sample())).toEqual(blob);
      const growth = peak.stop();
      expect(growth, `RSS grew by ${formatBytes(growth)}`).toBeLessThan(limit);
    },
    options.largeTestTimeoutMs,
  );
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${Math.round(bytes / MiB)} MiB`;
}
