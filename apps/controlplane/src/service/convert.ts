import { create } from '@bufbuild/protobuf';
import { type Timestamp, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type APIToken,
  APITokenKind,
  APITokenSchema,
  type CASBackend,
  type CASBackendRef,
  CASBackendSchema,
  OrganizationSchema,
  type Organization as ProtoOrganization,
  ValidationStatus,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { BackendRef } from '../biz/index.js';
import type { ApiToken, ApiTokenKind, CasBackend, Organization } from '../data/index.js';

export function timestamp(date: Date | null): Timestamp | undefined {
  return date === null ? undefined : timestampFromDate(date);
}

const validationStatus = {
  pending: ValidationStatus.PENDING,
  ok: ValidationStatus.OK,
  failed: ValidationStatus.FAILED,
} as const;

export function toProtoBackend(backend: CasBackend): CASBackend {
  return create(CASBackendSchema, {
    id: backend.id,
    name: backend.name,
    provider: backend.provider,
    location: backend.location,
    description: backend.description,
    isDefault: backend.isDefault,
    isFallback: backend.isFallback,
    validationStatus: validationStatus[backend.validationStatus],
    validationError: backend.validationError ?? '',
    validatedAt: timestamp(backend.validatedAt),
    maxBytes: BigInt(backend.maxBytes),
    createdAt: timestamp(backend.createdAt),
    updatedAt: timestamp(backend.updatedAt),
    inline: backend.provider === 'inline',
  });
}

export function toBackendRef(ref: CASBackendRef | undefined): BackendRef {
  switch (ref?.ref.case) {
    case 'id':
      return { id: ref.ref.value };
    case 'name':
      return { name: ref.ref.value };
    default:
      throw new CairnError(Code.InvalidArgument, 'name the backend by id or by name');
  }
}

const tokenKind: Record<ApiTokenKind, APITokenKind> = {
  user: APITokenKind.API_TOKEN_KIND_USER,
  robot: APITokenKind.API_TOKEN_KIND_ROBOT,
  admin: APITokenKind.API_TOKEN_KIND_ADMIN,
};

/** A token as the API shows it: never its secret (the database holds only a hash anyway). */
export function toProtoApiToken(token: ApiToken, organization?: Organization): APIToken {
  return create(APITokenSchema, {
    id: token.id,
    name: token.name,
    kind: tokenKind[token.kind],
    createdAt: timestamp(token.createdAt),
    expiresAt: timestamp(token.expiresAt),
    revokedAt: timestamp(token.revokedAt),
    lastUsedAt: timestamp(token.lastUsedAt),
    organizationId: token.orgId ?? '',
    organizationName: organization?.name ?? '',
  });
}

/** USER when unspecified. */
export function fromProtoTokenKind(kind: APITokenKind): ApiTokenKind {
  switch (kind) {
    case APITokenKind.API_TOKEN_KIND_UNSPECIFIED:
    case APITokenKind.API_TOKEN_KIND_USER:
      return 'user';
    case APITokenKind.API_TOKEN_KIND_ROBOT:
      return 'robot';
    case APITokenKind.API_TOKEN_KIND_ADMIN:
      return 'admin';
    default:
      throw new CairnError(Code.InvalidArgument, 'kind must be USER, ROBOT or ADMIN');
  }
}

export function toProtoOrganization(organization: Organization): ProtoOrganization {
  return create(OrganizationSchema, {
    id: organization.id,
    name: organization.name,
    createdAt: timestamp(organization.createdAt),
  });
}

/** An int64 from the wire as a safe JavaScript number. */
export function safeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CairnError(Code.InvalidArgument, `${what} must be a non-negative whole number`);
  }
  return Number(value);
}
