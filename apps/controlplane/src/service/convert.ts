import { create } from '@bufbuild/protobuf';
import { type Timestamp, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type APIToken,
  APITokenKind,
  APITokenSchema,
  type CASBackend,
  type CASBackendRef,
  CASBackendSchema,
  ValidationStatus,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { BackendRef } from '../biz/index.js';
import type { ApiToken, ApiTokenKind, CasBackend } from '../data/index.js';

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

export function toProtoApiToken(token: ApiToken): APIToken {
  return create(APITokenSchema, {
    id: token.id,
    name: token.name,
    kind: token.kind === 'robot' ? APITokenKind.API_TOKEN_KIND_ROBOT : APITokenKind.API_TOKEN_KIND_USER,
    createdAt: timestamp(token.createdAt),
    expiresAt: timestamp(token.expiresAt),
    revokedAt: timestamp(token.revokedAt),
    lastUsedAt: timestamp(token.lastUsedAt),
    organizationId: token.orgId,
  });
}

export function fromProtoTokenKind(kind: APITokenKind): ApiTokenKind {
  return kind === APITokenKind.API_TOKEN_KIND_ROBOT ? 'robot' : 'user';
}

/** An int64 from the wire as a safe JavaScript number. */
export function safeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CairnError(Code.InvalidArgument, `${what} must be a non-negative whole number`);
  }
  return Number(value);
}
