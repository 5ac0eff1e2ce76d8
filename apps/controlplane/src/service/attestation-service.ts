import { create } from '@bufbuild/protobuf';
import {
  type Attestation,
  AttestationSchema,
  type AttestationServiceAddMaterialRequest,
  type AttestationServiceAddMaterialResponse,
  AttestationServiceAddMaterialResponseSchema,
  type AttestationServiceGetRequest,
  type AttestationServiceGetResponse,
  AttestationServiceGetResponseSchema,
  type AttestationServiceGetRunRequest,
  type AttestationServiceGetRunResponse,
  AttestationServiceGetRunResponseSchema,
  type AttestationServiceGetUploadCredsRequest,
  type AttestationServiceGetUploadCredsResponse,
  AttestationServiceGetUploadCredsResponseSchema,
  type AttestationServiceInitRequest,
  type AttestationServiceInitResponse,
  AttestationServiceInitResponseSchema,
  type AttestationServiceResetRequest,
  type AttestationServiceResetResponse,
  AttestationServiceResetResponseSchema,
  type AttestationServiceStoreRequest,
  type AttestationServiceStoreResponse,
  AttestationServiceStoreResponseSchema,
  BundleSource,
  type Material,
  MaterialBackendSchema,
  MaterialKind,
  MaterialSchema,
  type WorkflowRun as ProtoWorkflowRun,
  ResetTrigger,
  type RunBackend,
  RunBackendSchema,
  WorkflowRunnerSchema,
  WorkflowRunSchema,
  WorkflowRunState,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type {
  AttestationRef,
  Attestations,
  MaterialSourceInput,
  RecordedLocation,
  RecordedMaterial,
  BundleSource as Source,
} from '../biz/index.js';
import type { AttestationRecord, CasBackend, WorkflowRun } from '../data/index.js';
import type { CallContext } from './call-context.js';
import { safeNumber, timestamp } from './convert.js';

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
      ...(request.runner ? { runner: { type: request.runner.type, url: request.runner.url } } : {}),
    });
    return create(AttestationServiceInitResponseSchema, { run: toProtoRun(run, backend, null) });
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

  async addMaterial(
    ctx: CallContext,
    request: AttestationServiceAddMaterialRequest,
  ): Promise<AttestationServiceAddMaterialResponse> {
    const material = await this.attestations.addMaterial(
      ctx.principal,
      request.runId,
      {
        name: request.name,
        kind: request.kind === MaterialKind.UNSPECIFIED ? '' : (MaterialKind[request.kind] ?? ''),
        annotations: request.annotations,
        fileName: request.fileName,
        source: sourceOf(request),
      },
      ctx.signal,
    );
    return create(AttestationServiceAddMaterialResponseSchema, { material: toProtoMaterial(material) });
  }

  async getRun(
    ctx: CallContext,
    request: AttestationServiceGetRunRequest,
  ): Promise<AttestationServiceGetRunResponse> {
    const details = await this.attestations.getRun(ctx.principal, request.runId);
    return create(AttestationServiceGetRunResponseSchema, {
      run: toProtoRun(details.run, details.backend, details.attestationDigest),
      materials: details.materials.map(toProtoMaterial),
    });
  }

  async reset(
    ctx: CallContext,
    request: AttestationServiceResetRequest,
  ): Promise<AttestationServiceResetResponse> {
    const { run, backend } = await this.attestations.reset(ctx.principal, request.runId, {
      trigger: triggerOf(request.trigger),
      reason: request.reason,
    });
    return create(AttestationServiceResetResponseSchema, { run: toProtoRun(run, backend, null) });
  }

  async store(
    ctx: CallContext,
    request: AttestationServiceStoreRequest,
  ): Promise<AttestationServiceStoreResponse> {
    const stored = await this.attestations.store(ctx.principal, request.runId, request.bundle, ctx.signal);
    return create(AttestationServiceStoreResponseSchema, {
      attestation: toProtoAttestation(stored.attestation, stored.backend),
      run: toProtoRun(stored.run, stored.backend, stored.attestation.digest),
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

function sourceOf(request: AttestationServiceAddMaterialRequest): MaterialSourceInput | undefined {
  const { source } = request;
  switch (source.case) {
    case 'cas':
      return { cas: { digest: source.value.digest, uploadToken: source.value.uploadToken } };
    case 'inline':
      return { inline: { content: source.value.content } };
    case 'image':
      return {
        image: {
          reference: source.value.reference,
          digest: source.value.digest,
          size: safeNumber(source.value.size, 'the image size'),
        },
      };
    default:
      return undefined;
  }
}

function triggerOf(trigger: ResetTrigger): 'failure' | 'cancellation' {
  switch (trigger) {
    case ResetTrigger.UNSPECIFIED:
    case ResetTrigger.FAILURE:
      return 'failure';
    case ResetTrigger.CANCELLATION:
      return 'cancellation';
    default:
      throw new CairnError(
        Code.InvalidArgument,
        'the trigger must be FAILURE or CANCELLATION (`cairn attestation reset --trigger failure|cancellation`)',
        { details: { reason: 'invalid_trigger' } },
      );
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

function toRunBackend(
  backend: Pick<CasBackend, 'id' | 'name' | 'provider' | 'maxBytes'>,
  isFallback: boolean,
): RunBackend {
  return create(RunBackendSchema, {
    id: backend.id,
    name: backend.name,
    provider: backend.provider,
    isFallback,
    maxBytes: BigInt(backend.maxBytes),
  });
}

export function toProtoRun(
  run: WorkflowRun,
  backend: Pick<CasBackend, 'id' | 'name' | 'provider' | 'maxBytes'>,
  attestationDigest: string | null,
): ProtoWorkflowRun {
  return create(WorkflowRunSchema, {
    id: run.id,
    workflow: run.workflow,
    project: run.project,
    state: runState[run.state],
    backend: toRunBackend(backend, run.backendIsFallback),
    createdAt: timestamp(run.createdAt),
    finishedAt: timestamp(run.finishedAt),
    ...(run.runnerType === null
      ? {}
      : { runner: create(WorkflowRunnerSchema, { type: run.runnerType, url: run.runnerUrl ?? '' }) }),
    expiresAt: timestamp(run.expiresAt),
    attestationDigest: attestationDigest ?? '',
    resetReason: run.resetReason ?? '',
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

function toProtoMaterial(material: RecordedMaterial): Material {
  const { location } = material;
  const held = 'backend' in location ? location.backend : undefined;
  return create(MaterialSchema, {
    digest: material.digest,
    size: BigInt(material.size),
    backendId: held?.id ?? '',
    backendName: held?.name ?? '',
    name: material.name,
    kind: MaterialKind[material.kind],
    fileName: material.fileName ?? '',
    annotations: { ...material.annotations },
    location: protoLocation(location),
    createdAt: timestamp(material.createdAt),
  });
}

function protoLocation(location: RecordedLocation): Material['location'] {
  if ('backend' in location) {
    const { id, name, provider } = location.backend;
    return { case: 'backend', value: create(MaterialBackendSchema, { id, name, provider }) };
  }
  if ('inline' in location) return { case: 'inlineContent', value: location.inline };
  return { case: 'imageReference', value: location.image };
}
