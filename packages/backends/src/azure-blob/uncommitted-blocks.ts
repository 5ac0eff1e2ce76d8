import type { BlockBlobClient } from '@azure/storage-blob';
import { azureErrorCode, azureStatus } from './errors.js';

/**
 * Cleaning up after a block upload. Uncommitted blocks cannot be removed one by one: they vanish when
 * the blob is committed or deleted, or after a week. Each step below changes the blob only when that
 * cannot lose anyone's committed data or another upload's chance to commit.
 */

/**
 * Discards what an abandoned upload staged. A committed blob is re-committed with its own block list,
 * which drops every uncommitted block and keeps its bytes; an uncommitted blob holding nothing but this
 * upload's blocks is deleted; blocks of another upload still in progress are left to that upload.
 */
export async function discardStagedBlocks(
  blob: BlockBlobClient,
  isOurs: (blockId: string) => boolean,
  signal: AbortSignal,
): Promise<void> {
  const blocks = await blob.getBlockList('all', { abortSignal: signal }).catch(nullIfMissing);
  const uncommitted = blocks?.uncommittedBlocks ?? [];
  if (!blocks || uncommitted.length === 0) return;
  if ((blocks.committedBlocks ?? []).length > 0) return discardUncommittedBlocks(blob, signal);
  if (uncommitted.some((block) => !isOurs(block.name))) return;
  if (await blob.getProperties({ abortSignal: signal }).catch(nullIfMissing)) return;
  await blob.delete({ abortSignal: signal }).catch(nullIfMissing);
}

/**
 * Drops the uncommitted blocks of a committed blob by committing its current block list again, with its
 * own headers and metadata, on condition that it did not change in between (If-Match) and that the list
 * adds up to its size. An upload whose blocks this drops finds the blob committed, which is its success.
 */
export async function discardUncommittedBlocks(blob: BlockBlobClient, signal: AbortSignal): Promise<void> {
  const properties = await blob.getProperties({ abortSignal: signal }).catch(nullIfMissing);
  if (!properties?.etag) return;
  const blocks = await blob.getBlockList('all', { abortSignal: signal });
  const committed = blocks.committedBlocks ?? [];
  const committedBytes = committed.reduce((sum, block) => sum + block.size, 0);
  if ((blocks.uncommittedBlocks ?? []).length === 0 || committed.length === 0) return;
  if (committedBytes !== properties.contentLength) return;
  try {
    await blob.commitBlockList(
      committed.map((block) => block.name),
      {
        conditions: { ifMatch: properties.etag },
        metadata: properties.metadata ?? {},
        blobHTTPHeaders: {
          ...definedOnly({
            blobContentType: properties.contentType,
            blobContentEncoding: properties.contentEncoding,
            blobContentLanguage: properties.contentLanguage,
            blobContentDisposition: properties.contentDisposition,
            blobCacheControl: properties.cacheControl,
            blobContentMD5: properties.contentMD5,
          }),
        },
        abortSignal: signal,
      },
    );
  } catch (error) {
    // Changed since we looked: whoever changed it cleans up after itself.
    if (azureStatus(error) === 412 || azureErrorCode(error) === 'ConditionNotMet') return;
    throw error;
  }
}

function nullIfMissing(error: unknown): null {
  if (azureStatus(error) === 404) return null;
  throw error;
}

function definedOnly<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}
