import { create } from '@bufbuild/protobuf';
import {
  type CASMappingServiceRecordRequest,
  type CASMappingServiceRecordResponse,
  CASMappingServiceRecordResponseSchema,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { BlobMapping } from '../biz/index.js';
import type { CallContext } from './call-context.js';

/** cairn.controlplane.v1.CASMappingService. */
export class CasMappingService {
  constructor(private readonly mapping: BlobMapping) {}

  async record(
    ctx: CallContext,
    request: CASMappingServiceRecordRequest,
  ): Promise<CASMappingServiceRecordResponse> {
    if (request.uploadToken === '') {
      throw new CairnError(Code.InvalidArgument, 'send the upload token the blob was uploaded with');
    }
    const recorded = await this.mapping.recordClientUpload(
      ctx.principal,
      request.digest,
      request.uploadToken,
      ctx.signal,
    );
    return create(CASMappingServiceRecordResponseSchema, {
      digest: request.digest,
      backendId: recorded.backend.id,
      backendName: recorded.backend.name,
      size: BigInt(recorded.size),
    });
  }
}
