import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type APIToken,
  APITokenKind,
  APITokenServiceCreateRequestSchema,
  type APITokenServiceCreateResponse,
  APITokenServiceListRequestSchema,
  APITokenServiceRevokeRequestSchema,
  AttestationServiceAddMaterialRequestSchema,
  AttestationServiceGetRequestSchema,
  type AttestationServiceGetResponse,
  AttestationServiceGetRunRequestSchema,
  type AttestationServiceGetRunResponse,
  AttestationServiceGetUploadCredsRequestSchema,
  type AttestationServiceGetUploadCredsResponse,
  AttestationServiceInitRequestSchema,
  AttestationServiceResetRequestSchema,
  AttestationServiceStoreRequestSchema,
  type AttestationServiceStoreResponse,
  apiTokenService,
  attestationService,
  type CASBackend,
  CASBackendRefSchema,
  CASBackendServiceCreateRequestSchema,
  CASBackendServiceDeleteRequestSchema,
  CASBackendServiceGetRequestSchema,
  CASBackendServiceListRequestSchema,
  CASBackendServiceRevalidateRequestSchema,
  CASBackendServiceUpdateRequestSchema,
  CASCredentialsServiceGetRequestSchema,
  type CASCredentialsServiceGetResponse,
  CASMappingServiceRecordRequestSchema,
  type CASMappingServiceRecordResponse,
  CASRole,
  casBackendService,
  casCredentialsService,
  casMappingService,
  fromGrpcError,
  type Material,
  MaterialKind,
  type Organization,
  OrganizationServiceCreateRequestSchema,
  type OrganizationServiceCreateResponse,
  OrganizationServiceListRequestSchema,
  organizationService,
  ResetTrigger,
  type WorkflowRun,
  WorkflowRunServiceListRequestSchema,
  type WorkflowRunServiceListResponse,
  WorkflowRunState,
  workflowRunService,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { type CallOptions, Client, credentials, Metadata, type MethodDefinition } from '@grpc/grpc-js';
import pRetry from 'p-retry';

export interface ControlPlaneClientOptions {
  /** `host:port` of the control plane's gRPC endpoint. */
  readonly address: string;
  /** An API token (`cairn_...`). */
  readonly apiToken: string;
  /** A deadline for every call; none by default. */
  readonly callTimeoutMs?: number;
  /**
   * How many times a call that is safe to repeat is tried in all when the control plane could not take it
   * (UNAVAILABLE: a replica killed mid-call, restarting, or a load balancer with none ready), with
   * backoff from 100 ms doubling; 1 turns retrying off. Default 5: about 1.5 s, the time a load balancer
   * takes to stop sending to a dead replica. Creating a backend, an API token or an organization and
   * revoking or deleting are tried once: repeating them could make two or answer "not found" for one done.
   */
  readonly attempts?: number;
}

/** What a new CAS backend is made of; credentials go to the control plane's secret store only. */
export interface BackendSpec {
  readonly name: string;
  readonly provider: string;
  readonly location: string;
  readonly description?: string;
  readonly credentials?: Readonly<Record<string, string>>;
  readonly isDefault?: boolean;
  readonly isFallback?: boolean;
  /** 0: the provider's own limit. */
  readonly maxBytes?: number;
}

export interface BackendUpdate {
  readonly description?: string;
  readonly isDefault?: boolean;
  readonly isFallback?: boolean;
  readonly maxBytes?: number;
  /**
   * Changed credential fields, merged over the stored ones ('' removes a field); checked through the CAS
   * before they are put in force. Omitted or empty: the credentials stay as they are.
   */
  readonly credentials?: Readonly<Record<string, string>>;
}

export interface ApiTokenSpec {
  readonly name: string;
  /** `admin` needs an admin caller and no organisation. */
  readonly kind: 'user' | 'robot' | 'admin';
  readonly expiresAt?: Date;
  /** The organisation's name: needed by admin callers, optional (own only) for an organisation's token. */
  readonly organization?: string;
}

/** Which tokens a call is about: an admin names the organisation; none means admin tokens (or any, for revoke). */
export interface ApiTokenScope {
  readonly organization?: string;
}

/** A run to start: the workflow, optionally the project, and the CI runner the caller detected. */
export interface RunInit {
  readonly workflow: string;
  readonly project?: string;
  /** `type` is one of `github-actions`, `gitlab-ci`, `jenkins`, `circleci`, `azure-pipelines`, `buildkite`, `local`. */
  readonly runner?: { readonly type: string; readonly url?: string };
}

/** A material's kind as @cairn/attestation names it (`ARTIFACT`, `STRING`, `SBOM_CYCLONEDX_JSON`, …). */
export type MaterialKindName = Exclude<keyof typeof MaterialKind, 'UNSPECIFIED'>;

/** Where a material's bytes come from (see AttestationService.AddMaterial). */
export type MaterialSource =
  /** A blob uploaded to the CAS with the run's upload token (`uploadCredentials`). */
  | { readonly cas: { readonly digest: string; readonly uploadToken: string } }
  /** The content itself: a STRING's text, or any kind's bytes on an inline backend. */
  | { readonly inline: Uint8Array | string }
  /** A container image and the manifest digest and size resolved from its registry. */
  | { readonly image: { readonly reference: string; readonly digest: string; readonly size: number } };

export interface MaterialSpec {
  /** Unique within the run. */
  readonly name: string;
  readonly kind: MaterialKindName;
  readonly source: MaterialSource;
  readonly fileName?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export type RunStateName = 'initialized' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

/** Which runs `listRuns` returns; a page at a time (`pageToken` from the previous answer). */
export interface RunFilter {
  readonly workflow?: string;
  readonly state?: RunStateName;
  /** Default 50, at most 500. */
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export type AttestationRef = { readonly digest: string } | { readonly runId: string };

/** A small typed client of the control plane for the CLI, tests and benchmarks. */
export interface ControlPlaneClient {
  /** Any unary method of the control plane's services, e.g. `casBackendService.create`; tried once. */
  call<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, signal?: AbortSignal): Promise<Res>;
  /** A CAS token for uploads (no digest) or for downloading one blob. */
  casToken(
    role: 'upload' | 'download',
    digest?: string,
    signal?: AbortSignal,
  ): Promise<CASCredentialsServiceGetResponse>;
  /** Reports a blob uploaded with `uploadToken`, so the control plane confirms it with the CAS and maps it. */
  recordUpload(
    digest: string,
    uploadToken: string,
    signal?: AbortSignal,
  ): Promise<CASMappingServiceRecordResponse>;
  getBackend(name: string, signal?: AbortSignal): Promise<CASBackend>;
  listBackends(signal?: AbortSignal): Promise<CASBackend[]>;
  createBackend(backend: BackendSpec, signal?: AbortSignal): Promise<CASBackend>;
  updateBackend(name: string, changes: BackendUpdate, signal?: AbortSignal): Promise<CASBackend>;
  /** Soft-deletes a backend; resolves to the organisation's default afterwards. */
  deleteBackend(name: string, signal?: AbortSignal): Promise<CASBackend>;
  revalidateBackend(name: string, signal?: AbortSignal): Promise<CASBackend>;
  /** A new API token (of the caller's organisation unless an admin names one); its secret is in the answer, and only there. */
  createApiToken(token: ApiTokenSpec, signal?: AbortSignal): Promise<APITokenServiceCreateResponse>;
  /** Tokens without their secrets, revoked ones included. */
  listApiTokens(scope?: ApiTokenScope, signal?: AbortSignal): Promise<APIToken[]>;
  revokeApiToken(id: string, scope?: ApiTokenScope, signal?: AbortSignal): Promise<void>;
  /** Admin tokens only: a new organisation and its first API token (the secret is in the answer, and only there). */
  createOrganization(
    name: string,
    options?: { readonly tokenName?: string },
    signal?: AbortSignal,
  ): Promise<OrganizationServiceCreateResponse>;
  /** Every organisation for an admin token; the caller's own for an organisation's token. */
  listOrganizations(signal?: AbortSignal): Promise<Organization[]>;
  /** Starts a workflow run on the organisation's default backend (else its fallback). */
  initRun(run: RunInit, signal?: AbortSignal): Promise<WorkflowRun>;
  /** A CAS upload token for the run's own backend, and the CAS address to use it with. */
  uploadCredentials(runId: string, signal?: AbortSignal): Promise<AttestationServiceGetUploadCredsResponse>;
  /** Records a material on the run; returns it as recorded (digest and size computed for inline content). */
  addMaterial(runId: string, material: MaterialSpec, signal?: AbortSignal): Promise<Material>;
  /** The run and its materials in the order added: everything its statement needs. */
  getRun(runId: string, signal?: AbortSignal): Promise<AttestationServiceGetRunResponse>;
  /** Ends the run as failed (the default) or cancelled. */
  resetRun(
    runId: string,
    options?: { readonly trigger?: 'failure' | 'cancellation'; readonly reason?: string },
    signal?: AbortSignal,
  ): Promise<WorkflowRun>;
  /** The organisation's runs newest first, one page. */
  listRuns(filter?: RunFilter, signal?: AbortSignal): Promise<WorkflowRunServiceListResponse>;
  /** Stores the run's signed bundle (its exact JSON bytes) and finishes the run; the same bundle again returns the stored attestation. */
  storeAttestation(
    runId: string,
    bundle: Uint8Array | string,
    signal?: AbortSignal,
  ): Promise<AttestationServiceStoreResponse>;
  /** A stored bundle, by its digest or by its run. */
  getAttestation(ref: AttestationRef, signal?: AbortSignal): Promise<AttestationServiceGetResponse>;
  close(): void;
}

const RUN_STATES: Record<RunStateName, WorkflowRunState> = {
  initialized: WorkflowRunState.INITIALIZED,
  succeeded: WorkflowRunState.SUCCEEDED,
  failed: WorkflowRunState.FAILED,
  cancelled: WorkflowRunState.CANCELLED,
  expired: WorkflowRunState.EXPIRED,
};

function materialSource(source: MaterialSource) {
  if ('cas' in source) return { case: 'cas' as const, value: { ...source.cas } };
  if ('inline' in source) {
    const content =
      typeof source.inline === 'string' ? new TextEncoder().encode(source.inline) : source.inline;
    return { case: 'inline' as const, value: { content } };
  }
  return {
    case: 'image' as const,
    value: {
      reference: source.image.reference,
      digest: source.image.digest,
      size: BigInt(source.image.size),
    },
  };
}

function sameMaterial(added: Material, spec: MaterialSpec): boolean {
  if (added.kind !== MaterialKind[spec.kind]) return false;
  const { source } = spec;
  if ('cas' in source) return added.digest === source.cas.digest;
  if ('image' in source) return added.digest === source.image.digest;
  const sent = typeof source.inline === 'string' ? new TextEncoder().encode(source.inline) : source.inline;
  return added.location.case === 'inlineContent' && Buffer.from(added.location.value).equals(sent);
}

const TOKEN_KINDS = {
  user: APITokenKind.API_TOKEN_KIND_USER,
  robot: APITokenKind.API_TOKEN_KIND_ROBOT,
  admin: APITokenKind.API_TOKEN_KIND_ADMIN,
} as const;

export function createControlPlaneClient(options: ControlPlaneClientOptions): ControlPlaneClient {
  const client = new Client(options.address, credentials.createInsecure());
  const peer = { service: 'the control plane', address: options.address };
  const once = <Req, Res>(method: MethodDefinition<Req, Res>, request: Req, signal?: AbortSignal) =>
    new Promise<Res>((resolve, reject) => {
      signal?.throwIfAborted();
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${options.apiToken}`);
      const callOptions: CallOptions =
        options.callTimeoutMs === undefined ? {} : { deadline: Date.now() + options.callTimeoutMs };
      const pending = client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        callOptions,
        (error, response) => {
          signal?.removeEventListener('abort', cancel);
          if (error) reject(fromGrpcError(error, peer));
          else if (response === undefined)
            reject(new CairnError(Code.Internal, 'the control plane sent no response'));
          else resolve(response);
        },
      );
      const cancel = () => pending.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  // A call UNAVAILABLE may or may not have reached a replica before it died, so only calls whose repeat
  // does no harm are retried: reads, minting a token, recording a mapping, storing a bundle (exactly once on
  // the server), starting a run (an extra one just expires) and adding a material (reconciled below). The
  // load balancer sends the next try to a live replica.
  const call = <Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    signal?: AbortSignal,
    onAttempt?: (attempt: number) => void,
  ) =>
    pRetry(
      (attempt) => {
        onAttempt?.(attempt);
        return once(method, request, signal);
      },
      {
        retries: Math.max(0, (options.attempts ?? 5) - 1),
        factor: 2,
        minTimeout: 100,
        maxTimeout: 1_000,
        ...(signal === undefined ? {} : { signal }),
        shouldRetry: ({ error }) => error instanceof CairnError && error.code === Code.Unavailable,
      },
    );
  const runOf = (response: { run?: WorkflowRun | undefined }) => {
    if (!response.run) throw new CairnError(Code.Internal, 'the control plane sent no run');
    return response.run;
  };
  const byName = (name: string) => create(CASBackendRefSchema, { ref: { case: 'name', value: name } });
  const backendOf = (response: { backend?: CASBackend | undefined }) => {
    if (!response.backend) throw new CairnError(Code.Internal, 'the control plane sent no backend');
    return response.backend;
  };
  return {
    call: once,
    casToken: (role, digest, signal) =>
      call(
        casCredentialsService.get,
        create(CASCredentialsServiceGetRequestSchema, {
          role: role === 'upload' ? CASRole.CAS_ROLE_UPLOAD : CASRole.CAS_ROLE_DOWNLOAD,
          digest: digest ?? '',
        }),
        signal,
      ),
    recordUpload: (digest, uploadToken, signal) =>
      call(
        casMappingService.record,
        create(CASMappingServiceRecordRequestSchema, { digest, uploadToken }),
        signal,
      ),
    getBackend: async (name, signal) =>
      backendOf(
        await call(
          casBackendService.get,
          create(CASBackendServiceGetRequestSchema, { backend: byName(name) }),
          signal,
        ),
      ),
    listBackends: async (signal) =>
      (await call(casBackendService.list, create(CASBackendServiceListRequestSchema), signal)).backends,
    createBackend: async (backend, signal) =>
      backendOf(
        await once(
          casBackendService.create,
          create(CASBackendServiceCreateRequestSchema, {
            name: backend.name,
            provider: backend.provider,
            location: backend.location,
            description: backend.description ?? '',
            credentials: { ...backend.credentials },
            isDefault: backend.isDefault ?? false,
            isFallback: backend.isFallback ?? false,
            maxBytes: BigInt(backend.maxBytes ?? 0),
          }),
          signal,
        ),
      ),
    updateBackend: async (name, changes, signal) =>
      backendOf(
        await call(
          casBackendService.update,
          create(CASBackendServiceUpdateRequestSchema, {
            backend: byName(name),
            ...(changes.description === undefined ? {} : { description: changes.description }),
            ...(changes.isDefault === undefined ? {} : { isDefault: changes.isDefault }),
            ...(changes.isFallback === undefined ? {} : { isFallback: changes.isFallback }),
            ...(changes.maxBytes === undefined ? {} : { maxBytes: BigInt(changes.maxBytes) }),
            credentials: { ...changes.credentials },
          }),
          signal,
        ),
      ),
    deleteBackend: async (name, signal) => {
      const answer = await once(
        casBackendService.delete,
        create(CASBackendServiceDeleteRequestSchema, { backend: byName(name) }),
        signal,
      );
      if (!answer.defaultBackend)
        throw new CairnError(Code.Internal, 'the control plane sent no default backend');
      return answer.defaultBackend;
    },
    revalidateBackend: async (name, signal) =>
      backendOf(
        await call(
          casBackendService.revalidate,
          create(CASBackendServiceRevalidateRequestSchema, { backend: byName(name) }),
          signal,
        ),
      ),
    createApiToken: (token, signal) =>
      once(
        apiTokenService.create,
        create(APITokenServiceCreateRequestSchema, {
          name: token.name,
          kind: TOKEN_KINDS[token.kind],
          ...(token.expiresAt === undefined ? {} : { expiresAt: timestampFromDate(token.expiresAt) }),
          organization: token.organization ?? '',
        }),
        signal,
      ),
    listApiTokens: async (scope, signal) =>
      (
        await call(
          apiTokenService.list,
          create(APITokenServiceListRequestSchema, { organization: scope?.organization ?? '' }),
          signal,
        )
      ).tokens,
    revokeApiToken: async (id, scope, signal) => {
      await once(
        apiTokenService.revoke,
        create(APITokenServiceRevokeRequestSchema, { id, organization: scope?.organization ?? '' }),
        signal,
      );
    },
    createOrganization: (name, options, signal) =>
      once(
        organizationService.create,
        create(OrganizationServiceCreateRequestSchema, { name, tokenName: options?.tokenName ?? '' }),
        signal,
      ),
    listOrganizations: async (signal) =>
      (await call(organizationService.list, create(OrganizationServiceListRequestSchema), signal))
        .organizations,
    initRun: async (run, signal) => {
      const answer = await call(
        attestationService.init,
        create(AttestationServiceInitRequestSchema, {
          workflow: run.workflow,
          project: run.project ?? '',
          ...(run.runner ? { runner: { type: run.runner.type, url: run.runner.url ?? '' } } : {}),
        }),
        signal,
      );
      return runOf(answer);
    },
    uploadCredentials: (runId, signal) =>
      call(
        attestationService.getUploadCreds,
        create(AttestationServiceGetUploadCredsRequestSchema, { runId }),
        signal,
      ),
    addMaterial: async (runId, material, signal) => {
      let retried = false;
      const answer = await call(
        attestationService.addMaterial,
        create(AttestationServiceAddMaterialRequestSchema, {
          runId,
          name: material.name,
          kind: MaterialKind[material.kind],
          fileName: material.fileName ?? '',
          annotations: { ...material.annotations },
          source: materialSource(material.source),
        }),
        signal,
        (attempt) => {
          retried = attempt > 1;
        },
      ).catch(async (error: unknown) => {
        // A try that died on its way back may have added the material: if the run holds this very one
        // now, that is the answer; a material of another digest under the name is still a conflict.
        if (!(retried && error instanceof CairnError && error.code === Code.AlreadyExists)) throw error;
        const { materials } = await call(
          attestationService.getRun,
          create(AttestationServiceGetRunRequestSchema, { runId }),
          signal,
        );
        const added = materials.find((m) => m.name === material.name);
        if (added === undefined || !sameMaterial(added, material)) throw error;
        return { material: added };
      });
      if (!answer.material) throw new CairnError(Code.Internal, 'the control plane sent no material');
      return answer.material;
    },
    getRun: (runId, signal) =>
      call(attestationService.getRun, create(AttestationServiceGetRunRequestSchema, { runId }), signal),
    resetRun: async (runId, options, signal) =>
      runOf(
        await once(
          attestationService.reset,
          create(AttestationServiceResetRequestSchema, {
            runId,
            trigger: options?.trigger === 'cancellation' ? ResetTrigger.CANCELLATION : ResetTrigger.FAILURE,
            reason: options?.reason ?? '',
          }),
          signal,
        ),
      ),
    listRuns: (filter, signal) =>
      call(
        workflowRunService.list,
        create(WorkflowRunServiceListRequestSchema, {
          workflow: filter?.workflow ?? '',
          state: filter?.state === undefined ? WorkflowRunState.UNSPECIFIED : RUN_STATES[filter.state],
          pageSize: filter?.pageSize ?? 0,
          pageToken: filter?.pageToken ?? '',
        }),
        signal,
      ),
    storeAttestation: (runId, bundle, signal) =>
      call(
        attestationService.store,
        create(AttestationServiceStoreRequestSchema, {
          runId,
          bundle: typeof bundle === 'string' ? new TextEncoder().encode(bundle) : bundle,
        }),
        signal,
      ),
    getAttestation: (ref, signal) =>
      call(
        attestationService.get,
        create(AttestationServiceGetRequestSchema, {
          ref: 'digest' in ref ? { case: 'digest', value: ref.digest } : { case: 'runId', value: ref.runId },
        }),
        signal,
      ),
    close: () => client.close(),
  };
}
