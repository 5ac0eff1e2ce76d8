import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as kysely sees it. `pg` returns bigint columns as strings and PGlite as numbers, so
 * bigint columns read as `string | number` and repositories turn them into numbers at the boundary.
 */
export interface DatabaseSchema {
  organizations: OrganizationTable;
  api_tokens: ApiTokenTable;
  cas_backends: CasBackendTable;
  blob_locations: BlobLocationTable;
  events: EventTable;
  workflow_runs: WorkflowRunTable;
  attestations: AttestationTable;
  run_materials: RunMaterialTable;
  signing_keys: SigningKeyTable;
}

type BigIntColumn = ColumnType<string | number, number, number>;
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface OrganizationTable {
  id: string;
  name: string;
  created_at: CreatedAt;
}

/** `admin` tokens are instance-wide: they alone have no organisation. */
export type ApiTokenKind = 'user' | 'robot' | 'admin';

export interface ApiTokenTable {
  id: string;
  /** Null exactly for admin tokens (a CHECK enforces it). */
  org_id: string | null;
  name: string;
  kind: ApiTokenKind;
  /** sha256 (hex) of the token; the token itself is shown once and never stored. */
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export type BackendProvider = 'inline' | 'oci' | 'aws-s3' | 'azure-blob' | 'filesystem';
export type ValidationStatus = 'pending' | 'ok' | 'failed';

export interface CasBackendTable {
  id: string;
  org_id: string;
  name: string;
  provider: BackendProvider;
  location: string;
  description: string;
  is_default: boolean;
  is_fallback: boolean;
  validation_status: ValidationStatus;
  validation_error: string | null;
  validated_at: Date | null;
  max_bytes: BigIntColumn;
  /** Secret-store reference of the credentials; null for backends without any (inline). */
  secret_ref: string | null;
  created_at: CreatedAt;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface BlobLocationTable {
  org_id: string;
  /** `sha256:<hex>` */
  digest: string;
  backend_id: string;
  size: BigIntColumn;
  created_at: CreatedAt;
}

export interface EventTable {
  id: Generated<string | number>;
  org_id: string;
  kind: string;
  subject_id: string;
  /** JSON text; never holds a secret. */
  data: string;
  created_at: CreatedAt;
}

export type WorkflowRunState = 'initialized' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

export interface WorkflowRunTable {
  id: string;
  org_id: string;
  workflow: string;
  project: string;
  state: WorkflowRunState;
  /** The CAS backend chosen at init; its evidence goes there. */
  backend_id: string;
  backend_is_fallback: boolean;
  created_at: CreatedAt;
  /** Set exactly when the run is no longer `initialized` (a CHECK enforces it). */
  finished_at: Date | null;
  /** The CI system the CLI detected at init (`github-actions`, …, `local`), and its run's page. */
  runner_type: string | null;
  runner_url: string | null;
  /** Why the run was reset; only on failed or cancelled runs (a CHECK enforces it). */
  reset_reason: string | null;
  /** When an `initialized` run expires unless pushed. */
  expires_at: Date;
}

export interface AttestationTable {
  id: string;
  org_id: string;
  run_id: string;
  /** `sha256:<hex>` of the bundle. */
  digest: string;
  /** The bundle, unless `attestations.skip_db_storage` sent it only to the CAS. */
  bundle: Uint8Array | null;
  size: BigIntColumn;
  backend_id: string;
  backend_is_fallback: boolean;
  /** When the copy in the CAS was confirmed; null while only the database holds it. */
  stored_in_cas_at: Date | null;
  /** True while the database holds a bundle that the background copy has yet to put in the CAS. */
  cas_copy_pending: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
}

export type MaterialSource = 'cas' | 'inline' | 'image';

/** A material of a run, named uniquely within it, in the order added (`seq`). */
export interface RunMaterialTable {
  seq: GeneratedAlways<string | number>;
  run_id: string;
  org_id: string;
  name: string;
  /** One of @cairn/attestation's MATERIAL_KINDS (a CHECK lists them). */
  kind: string;
  /** `sha256:<hex>` of the material's bytes (of the manifest, for an image). */
  digest: string;
  size: BigIntColumn;
  /** JSON object of strings. */
  annotations: string;
  file_name: string | null;
  source: MaterialSource;
  /** The backend holding a `cas` material, confirmed by the CAS; null for the other sources. */
  backend_id: string | null;
  /** The bytes of an `inline` material (bounded: see RunMaterials). */
  content: Uint8Array | null;
  /** The normalised `registry/repository[:tag]@sha256:…` of an `image` material. */
  image_reference: string | null;
  /** Bytes the material takes in the run's attestation statement, summed against the bundle's cap. */
  statement_bytes: number;
  created_at: CreatedAt;
}

/** A key that signs (from `active_from`) and verifies (until `retire_at`) CAS tokens; its private JWK is a secret. */
export interface SigningKeyTable {
  kid: string;
  secret_ref: string;
  active_from: Date;
  retire_at: Date | null;
  created_at: CreatedAt;
}

export type OrganizationRow = Selectable<OrganizationTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
export type CasBackendRow = Selectable<CasBackendTable>;
export type NewCasBackendRow = Insertable<CasBackendTable>;
export type CasBackendPatch = Updateable<CasBackendTable>;
