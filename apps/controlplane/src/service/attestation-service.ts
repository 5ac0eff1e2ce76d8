import { create } from '@bufbuild/protobuf';
import {
  type Attestation,
  AttestationSchema,
  type AttestationServiceGetRequest,
  type AttestationServiceGetResponse,
  AttestationServiceGetResponseSchema,
  type AttestationServiceGetUploadCredsRequest,
  type AttestationServiceGetUploadCredsResponse,
  AttestationServiceGetUploadCredsResponseSchema,
  type AttestationServiceInitRequest,
  type AttestationServiceInitResponse,
  AttestationServiceInitResponseSchema,
  type AttestationServiceRecordMaterialRequest,
  type AttestationServiceRecordMaterialResponse,
  AttestationServiceRecordMaterialResponseSchema,
  type AttestationServiceStoreRequest,
  type AttestationServiceStoreResponse,
  AttestationServiceStoreResponseSchema,
  BundleSource,
  type Material,
  MaterialSchema,
  type WorkflowRun as ProtoWorkflowRun,
  type RunBackend,
  RunBackendSchema,
  WorkflowRunSchema,
  WorkflowRunState,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { AttestationRef, Attestations, BundleSource as Source } from '../biz/index.js';
import type { AttestationRecord, CasBackend, RunMaterial, WorkflowRun } from '../data/index.js';
import type { CallContext } from './call-context.js';
import { timestamp } from './convert.js';

/** cairn.controlplane.v1.AttestationService: proto in, domain calls, proto out. */
export class AttestationService {
  constructor(
    private readonly attestations: Attestations,
    /** The CAS address handed to clients with each token ("" when not configured). */
    private readonly casGrpcAddress: () => string,
  ) {}

  async init(
    ctx: CallContext,
    request: AttestationServiceInitRequest,
  ): Promise<AttestationServiceInitResponse> {
    const { run, backend } = await this.attestations.init(ctx.principal, {
      workflow: request.workflow,
      project: request.project,
    });
    return create(AttestationServiceInitResponseSchema, { run: toProtoRun(run, backend) });
  }

  async getUploadCreds(
    ctx: CallContext,
    request: AttestationServiceGetUploadCredsRequest,
  ): Promise<AttestationServiceGetUploadCredsResponse> {
    const issued = await this.attestations.uploadCredentials(ctx.principal, request.runId);
    return create(AttestationServiceGetUploadCredsResponseSchema, {
      token: issued.token,
      expiresAt: timestamp(issued.expiresAt),
      backend: toRunBackend(issued.backend, issued.isFallback),
      casGrpcAddress: this.casGrpcAddress(),
    });
  }

  async recordMaterial(
    ctx: CallContext,
    request: AttestationServiceRecordMaterialRequest,
  ): Promise<AttestationServiceRecordMaterialResponse> {
    const material = await this.attestations.recordMaterial(
      ctx.principal,
      request.runId,
      { digest: request.digest, uploadToken: request.uploadToken },
      ctx.signal,
    );
    return create(AttestationServiceRecordMaterialResponseSchema, { material: toProtoMaterial(material) });
  }

  async store(
    ctx: CallContext,
    request: AttestationServiceStoreRequest,
  ): Promise<AttestationServiceStoreResponse> {
    const stored = await this.attestations.store(ctx.principal, request.runId, request.bundle, ctx.signal);
    return create(AttestationServiceStoreResponseSchema, {
      attestation: toProtoAttestation(stored.attestation, stored.backend),
      run: toProtoRun(stored.run, stored.backend),
    });
  }

  async get(ctx: CallContext, request: AttestationServiceGetRequest): Promise<AttestationServiceGetResponse> {
    const resolved = await this.attestations.get(ctx.principal, refOf(request), ctx.signal);
    return create(AttestationServiceGetResponseSchema, {
      attestation: toProtoAttestation(resolved.attestation, resolved.backend),
      bundle: resolved.bundle,
      source: bundleSource[resolved.source],
      materials: resolved.materials.map(toProtoMaterial),
    });
  }
}

function refOf(request: AttestationServiceGetRequest): AttestationRef {
  switch (request.ref.case) {
    case 'digest':
      return { digest: request.ref.value };
    case 'runId':
      return { runId: request.ref.value };
    default:
      throw new CairnError(Code.InvalidArgument, 'name the attestation by digest or by run_id');
  }
}

const bundleSource: Record<Source, BundleSource> = {
  cache: BundleSource.CACHE,
  database: BundleSource.DATABASE,
  cas: BundleSource.CAS,
};

const runState: Record<WorkflowRun['state'], WorkflowRunState> = {
  initialized: WorkflowRunState.INITIALIZED,
  succeeded: WorkflowRunState.SUCCEEDED,
  failed: WorkflowRunState.FAILED,
  cancelled: WorkflowRunState.CANCELLED,
  expired: WorkflowRunState.EXPIRED,
};

function toRunBackend(backend: CasBackend, isFallback: boolean): RunBackend {
  return create(RunBackendSchema, {
    id: backend.id,
    name: backend.name,
    provider: backend.provider,
    isFallback,
    maxBytes: BigInt(backend.maxBytes),
  });
}

function toProtoRun(run: WorkflowRun, backend: CasBackend): ProtoWorkflowRun {
  return create(WorkflowRunSchema, {
    id: run.id,
    workflow: run.workflow,
    project: run.project,
    state: runState[run.state],
    backend: toRunBackend(backend, run.backendIsFallback),
    createdAt: timestamp(run.createdAt),
    finishedAt: timestamp(run.finishedAt),
  });
}

function toProtoAttestation(attestation: AttestationRecord, backend: CasBackend): Attestation {
  return create(AttestationSchema, {
    digest: attestation.digest,
    size: BigInt(attestation.size),
    runId: attestation.runId,
    backend: toRunBackend(backend, attestation.backendIsFallback),
    storedInDatabase: attestation.storedInDatabase,
    storedInCasAt: timestamp(attestation.storedInCasAt),
    createdAt: timestamp(attestation.createdAt),
  });
}

function toProtoMaterial(material: RunMaterial & { readonly backendName: string }): Material {
  return create(MaterialSchema, {
    digest: material.digest,
    size: BigInt(material.size),
    backendId: material.backendId,
    backendName: material.backendName,
  });
}
