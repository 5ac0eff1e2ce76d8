import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  type APITokenServiceCreateRequest,
  type APITokenServiceCreateResponse,
  APITokenServiceCreateResponseSchema,
  type APITokenServiceListRequest,
  type APITokenServiceListResponse,
  APITokenServiceListResponseSchema,
  type APITokenServiceRevokeRequest,
  type APITokenServiceRevokeResponse,
  APITokenServiceRevokeResponseSchema,
} from '@cairn/api';
import type { ApiTokens } from '../biz/index.js';
import type { CallerContext } from './call-context.js';
import { fromProtoTokenKind, toProtoApiToken } from './convert.js';

/**
 * cairn.controlplane.v1.APITokenService: an organisation's token acts on its own organisation's tokens, an
 * admin token on the organisation it names (or on admin tokens); the rules are in ApiTokens.
 */
export class ApiTokenService {
  constructor(private readonly tokens: ApiTokens) {}

  async create(
    ctx: CallerContext,
    request: APITokenServiceCreateRequest,
  ): Promise<APITokenServiceCreateResponse> {
    const { token, secret, organization } = await this.tokens.createAs(ctx.caller, {
      name: request.name,
      kind: fromProtoTokenKind(request.kind),
      expiresAt: request.expiresAt ? timestampDate(request.expiresAt) : undefined,
      organization: request.organization,
    });
    return create(APITokenServiceCreateResponseSchema, {
      token: toProtoApiToken(token, organization),
      secret,
    });
  }

  async list(ctx: CallerContext, request: APITokenServiceListRequest): Promise<APITokenServiceListResponse> {
    const tokens = await this.tokens.listAs(ctx.caller, request.organization);
    return create(APITokenServiceListResponseSchema, {
      tokens: tokens.map(({ token, organization }) => toProtoApiToken(token, organization)),
    });
  }

  async revoke(
    ctx: CallerContext,
    request: APITokenServiceRevokeRequest,
  ): Promise<APITokenServiceRevokeResponse> {
    await this.tokens.revokeAs(ctx.caller, request.id, request.organization);
    return create(APITokenServiceRevokeResponseSchema, {});
  }
}
