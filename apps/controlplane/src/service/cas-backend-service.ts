import { create } from '@bufbuild/protobuf';
import {
  type CASBackendServiceCreateRequest,
  type CASBackendServiceCreateResponse,
  CASBackendServiceCreateResponseSchema,
  type CASBackendServiceDeleteRequest,
  type CASBackendServiceDeleteResponse,
  CASBackendServiceDeleteResponseSchema,
  type CASBackendServiceGetRequest,
  type CASBackendServiceGetResponse,
  CASBackendServiceGetResponseSchema,
  type CASBackendServiceListResponse,
  CASBackendServiceListResponseSchema,
  type CASBackendServiceRevalidateRequest,
  type CASBackendServiceRevalidateResponse,
  CASBackendServiceRevalidateResponseSchema,
  type CASBackendServiceUpdateRequest,
  type CASBackendServiceUpdateResponse,
  CASBackendServiceUpdateResponseSchema,
} from '@cairn/api';
import type { CasBackends } from '../biz/index.js';
import type { CallContext } from './call-context.js';
import { safeNumber, toBackendRef, toProtoBackend } from './convert.js';

/** cairn.controlplane.v1.CASBackendService: proto in, domain calls, proto out. */
export class CasBackendService {
  constructor(private readonly backends: CasBackends) {}

  async list(ctx: CallContext): Promise<CASBackendServiceListResponse> {
    const backends = await this.backends.list(ctx.principal);
    return create(CASBackendServiceListResponseSchema, { backends: backends.map(toProtoBackend) });
  }

  async get(ctx: CallContext, request: CASBackendServiceGetRequest): Promise<CASBackendServiceGetResponse> {
    const backend = await this.backends.get(ctx.principal, toBackendRef(request.backend));
    return create(CASBackendServiceGetResponseSchema, { backend: toProtoBackend(backend) });
  }

  async create(
    ctx: CallContext,
    request: CASBackendServiceCreateRequest,
  ): Promise<CASBackendServiceCreateResponse> {
    const backend = await this.backends.create(
      ctx.principal,
      {
        name: request.name,
        provider: request.provider,
        location: request.location,
        description: request.description,
        credentials: { ...request.credentials },
        isDefault: request.isDefault,
        isFallback: request.isFallback,
        maxBytes: safeNumber(request.maxBytes, 'max_bytes'),
      },
      ctx.signal,
    );
    return create(CASBackendServiceCreateResponseSchema, { backend: toProtoBackend(backend) });
  }

  async update(
    ctx: CallContext,
    request: CASBackendServiceUpdateRequest,
  ): Promise<CASBackendServiceUpdateResponse> {
    const backend = await this.backends.update(
      ctx.principal,
      toBackendRef(request.backend),
      {
        ...(request.description === undefined ? {} : { description: request.description }),
        ...(request.isDefault === undefined ? {} : { isDefault: request.isDefault }),
        ...(request.isFallback === undefined ? {} : { isFallback: request.isFallback }),
        ...(request.maxBytes === undefined ? {} : { maxBytes: safeNumber(request.maxBytes, 'max_bytes') }),
        credentials: { ...request.credentials },
      },
      ctx.signal,
    );
    return create(CASBackendServiceUpdateResponseSchema, { backend: toProtoBackend(backend) });
  }

  async delete(
    ctx: CallContext,
    request: CASBackendServiceDeleteRequest,
  ): Promise<CASBackendServiceDeleteResponse> {
    const defaultBackend = await this.backends.delete(ctx.principal, toBackendRef(request.backend));
    return create(CASBackendServiceDeleteResponseSchema, { defaultBackend: toProtoBackend(defaultBackend) });
  }

  async revalidate(
    ctx: CallContext,
    request: CASBackendServiceRevalidateRequest,
  ): Promise<CASBackendServiceRevalidateResponse> {
    const backend = await this.backends.revalidate(ctx.principal, toBackendRef(request.backend), ctx.signal);
    return create(CASBackendServiceRevalidateResponseSchema, { backend: toProtoBackend(backend) });
  }
}
