import { create } from '@bufbuild/protobuf';
import {
  type OrganizationServiceCreateRequest,
  type OrganizationServiceCreateResponse,
  OrganizationServiceCreateResponseSchema,
  type OrganizationServiceListResponse,
  OrganizationServiceListResponseSchema,
} from '@cairn/api';
import type { Organizations } from '../biz/index.js';
import type { CallerContext } from './call-context.js';
import { toProtoApiToken, toProtoOrganization } from './convert.js';

/** cairn.controlplane.v1.OrganizationService: creation by admin tokens, listing by any caller. */
export class OrganizationService {
  constructor(private readonly organizations: Organizations) {}

  async create(
    ctx: CallerContext,
    request: OrganizationServiceCreateRequest,
  ): Promise<OrganizationServiceCreateResponse> {
    const { organization, token, secret } = await this.organizations.createAs(
      ctx.caller,
      request.name,
      request.tokenName,
    );
    return create(OrganizationServiceCreateResponseSchema, {
      organization: toProtoOrganization(organization),
      token: toProtoApiToken(token, organization),
      secret,
    });
  }

  async list(ctx: CallerContext): Promise<OrganizationServiceListResponse> {
    const organizations = await this.organizations.listAs(ctx.caller);
    return create(OrganizationServiceListResponseSchema, {
      organizations: organizations.map(toProtoOrganization),
    });
  }
}
