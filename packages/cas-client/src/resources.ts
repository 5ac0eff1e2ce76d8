import { create } from '@bufbuild/protobuf';
import { DescribeRequestSchema, FindMissingRequestSchema, resourceService } from '@cairn/api';
import { parseDigest } from '@cairn/digest';
import { CairnError, Code } from '@cairn/errors';
import type { Connection } from './connection.js';
import { type RetryPolicy, withRetries } from './retry.js';

/** What the CAS knows about one stored blob. */
export interface BlobDescription {
  readonly digest: string;
  readonly size: number;
  readonly fileName: string;
  readonly mediaType: string;
}

export async function describeBlob(
  connection: Connection,
  policy: RetryPolicy,
  digest: string,
  signal?: AbortSignal,
): Promise<BlobDescription> {
  parseDigest(digest);
  const response = await withRetries(
    connection.peer,
    policy,
    signal,
    () => connection.unary(resourceService.describe, create(DescribeRequestSchema, { digest }), signal),
    connection,
  );
  const resource = response.resource;
  if (resource === undefined) {
    throw new CairnError(
      Code.Internal,
      `the CAS described ${digest} without details; report this to its operator`,
    );
  }
  return {
    digest: resource.digest || digest,
    size: Number(resource.size),
    fileName: resource.fileName,
    mediaType: resource.mediaType,
  };
}

/** The subset of `digests` the CAS does not hold. */
export async function findMissingBlobs(
  connection: Connection,
  policy: RetryPolicy,
  digests: readonly string[],
  signal?: AbortSignal,
): Promise<string[]> {
  for (const digest of digests) parseDigest(digest);
  if (digests.length === 0) return [];
  const response = await withRetries(
    connection.peer,
    policy,
    signal,
    () =>
      connection.unary(
        resourceService.findMissing,
        create(FindMissingRequestSchema, { digests: [...digests] }),
        signal,
      ),
    connection,
  );
  return response.missingDigests;
}
