import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  type APITokenServiceCreateRequest,
  type APITokenServiceCreateResponse,
  APITokenServiceCreateResponseSchema,
  type APITokenServiceListResponse,
  APITokenServiceListResponseSchema,
  type APITokenServiceRevokeRequest,
  type APITokenServiceRevokeResponse,
  APITokenServiceRevokeResponseSchema,
} from '@cairn/api';
import type { ApiTokens } from '../biz/index.js';
import type { CallContext } from './call-context.js';
import { fromProtoTokenKind, toProtoApiToken } from './convert.js';

/** cairn.controlplane.v1.APITokenService: tokens of the caller's organisation only. */
export class ApiTokenService {
  constructor(private readonly tokens: ApiTokens) {}

  async create(
    ctx: CallContext,
    request: APITokenServiceCreateRequest,
  ): Promise<APITokenServiceCreateResponse> {
    const { token, secret } = await this.tokens.create(ctx.principal.orgId, {
      name: request.name,
      kind: fromProtoTokenKind(request.kind),
      expiresAt: request.expiresAt ? timestampDate(request.expiresAt) : undefined,
    });
    return create(APITokenServiceCreateResponseSchema, { token: toProtoApiToken(token), secret });
  }

  async list(ctx: CallContext): Promise<APITokenServiceListResponse> {
    const tokens = await this.tokens.list(ctx.principal.orgId);
    return create(APITokenServiceListResponseSchema, { tokens: tokens.map(toProtoApiToken) });
  }

  async revoke(
    ctx: CallContext,
    request: APITokenServiceRevokeRequest,
  ): Promise<APITokenServiceRevokeResponse> {
    await this.tokens.revoke(ctx.principal.orgId, request.id);
    return create(APITokenServiceRevokeResponseSchema, {});
  }
}
