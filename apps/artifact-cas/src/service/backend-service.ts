import { create } from '@bufbuild/protobuf';
import { type CheckWriteAccessResponse, CheckWriteAccessResponseSchema } from '@cairn/api';
import type { CheckWriteAccess } from '../biz/check-write-access.js';
import type { CallContext } from './call-context.js';

/** cairn.cas.v1.BackendService in proto terms. */
export class BackendServiceImpl {
  constructor(private readonly checks: CheckWriteAccess) {}

  /** Needs an upload token: the check writes to the backend, as an upload does. */
  async checkWriteAccess(ctx: CallContext): Promise<CheckWriteAccessResponse> {
    const claims = await ctx.authorize({ role: 'upload' });
    ctx.note({ backend: claims.backend.id, provider: claims.backend.provider });
    const { elapsedMs } = await this.checks.check(claims, ctx.signal);
    return create(CheckWriteAccessResponseSchema, { elapsedMs: BigInt(elapsedMs) });
  }
}
