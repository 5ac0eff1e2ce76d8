import type { ApiTokenKind, BackendProvider, ValidationStatus, WorkflowRunState } from './schema.js';

export type { ApiTokenKind, BackendProvider, ValidationStatus, WorkflowRunState };

export interface Organization {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface ApiToken {
  readonly id: string;
  /** Null for admin tokens. */
  readonly orgId: string | null;
  readonly name: string;
  readonly kind: ApiTokenKind;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface CasBackend {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly provider: BackendProvider;
  readonly location: string;
  readonly description: string;
  readonly isDefault: boolean;
  readonly isFallback: boolean;
  readonly validationStatus: ValidationStatus;
  readonly validationError: string | null;
  readonly validatedAt: Date | null;
  readonly maxBytes: number;
  readonly secretRef: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly deletedAt: Date | null;
}

export interface BlobLocation {
  readonly orgId: string;
  readonly digest: string;
  readonly backendId: string;
  readonly size: number;
  readonly createdAt: Date;
}

export interface EventRecord {
  readonly id: number;
  readonly orgId: string;
  readonly kind: string;
  readonly subjectId: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
}
