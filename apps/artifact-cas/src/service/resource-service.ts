import { create } from '@bufbuild/protobuf';
import {
  type DescribeRequest,
  type DescribeResponse,
  DescribeResponseSchema,
  type FindMissingRequest,
  type FindMissingResponse,
  FindMissingResponseSchema,
  ResourceSchema,
} from '@cairn/api';
import { formatDigest } from '@cairn/backends';
import type { DescribeBlobs } from '../biz/describe-blobs.js';
import type { CallContext } from './call-context.js';

/** cairn.cas.v1.ResourceService in proto terms. */
export class ResourceServiceImpl {
  constructor(private readonly blobs: DescribeBlobs) {}

  async describe(ctx: CallContext, request: DescribeRequest): Promise<DescribeResponse> {
    ctx.note({ digest: request.digest });
    const claims = await ctx.authorize({ role: 'any', digest: request.digest });
    const info = await this.blobs.describe(claims, request.digest, ctx.signal);
    return create(DescribeResponseSchema, {
      resource: create(ResourceSchema, {
        digest: formatDigest(info.hex),
        size: BigInt(info.size),
        fileName: info.fileName ?? '',
        mediaType: info.mediaType ?? '',
      }),
    });
  }

  async findMissing(ctx: CallContext, request: FindMissingRequest): Promise<FindMissingResponse> {
    ctx.note({ digests: request.digests.length });
    const [only] = request.digests;
    // A download token bound to one blob may ask about that blob only.
    const claims = await ctx.authorize(
      request.digests.length === 1 && only !== undefined ? { role: 'any', digest: only } : { role: 'any' },
    );
    const missing = await this.blobs.findMissing(claims, request.digests, ctx.signal);
    return create(FindMissingResponseSchema, { missingDigests: missing });
  }
}
