import { create } from '@bufbuild/protobuf';
import {
  type CASCredentialsServiceGetRequest,
  type CASCredentialsServiceGetResponse,
  CASCredentialsServiceGetResponseSchema,
  CASRole,
  TokenBackendSchema,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { CasCredentials } from '../biz/index.js';
import type { CallContext } from './call-context.js';
import { timestamp } from './convert.js';

/** cairn.controlplane.v1.CASCredentialsService. */
export class CasCredentialsService {
  constructor(
    private readonly credentials: CasCredentials,
    /** The CAS address handed to clients with each token ("" when not configured). */
    private readonly casGrpcAddress: () => string,
  ) {}

  async get(
    ctx: CallContext,
    request: CASCredentialsServiceGetRequest,
  ): Promise<CASCredentialsServiceGetResponse> {
    const role = roleOf(request.role);
    const issued = await this.credentials.issue(
      ctx.principal,
      role,
      request.digest === '' ? undefined : request.digest,
    );
    return create(CASCredentialsServiceGetResponseSchema, {
      token: issued.token,
      expiresAt: timestamp(issued.expiresAt),
      backend: create(TokenBackendSchema, {
        id: issued.backend.id,
        name: issued.backend.name,
        provider: issued.backend.provider,
        maxBytes: BigInt(issued.backend.maxBytes),
        isFallback: issued.isFallback,
      }),
      casGrpcAddress: this.casGrpcAddress(),
    });
  }
}

function roleOf(role: CASRole): 'upload' | 'download' {
  if (role === CASRole.CAS_ROLE_UPLOAD) return 'upload';
  if (role === CASRole.CAS_ROLE_DOWNLOAD) return 'download';
  throw new CairnError(Code.InvalidArgument, 'set role to CAS_ROLE_UPLOAD or CAS_ROLE_DOWNLOAD');
}
