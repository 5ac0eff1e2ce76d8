import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  APITokenKind,
  APITokenServiceCreateRequestSchema,
  type APITokenServiceCreateResponse,
  apiTokenService,
  type CASBackend,
  CASBackendRefSchema,
  CASBackendServiceCreateRequestSchema,
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
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { type CallOptions, Client, credentials, Metadata, type MethodDefinition } from '@grpc/grpc-js';

export interface ControlPlaneClientOptions {
  /** `host:port` of the control plane's gRPC endpoint. */
  readonly address: string;
  /** An API token (`cairn_...`). */
  readonly apiToken: string;
  /** A deadline for every call; none by default. */
  readonly callTimeoutMs?: number;
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
}

export interface ApiTokenSpec {
  readonly name: string;
  readonly kind: 'user' | 'robot';
  readonly expiresAt?: Date;
}

/** A small typed client of the control plane for the CLI, tests and benchmarks. */
export interface ControlPlaneClient {
  /** Any unary method of the control plane's services, e.g. `casBackendService.create`. */
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
  revalidateBackend(name: string, signal?: AbortSignal): Promise<CASBackend>;
  /** A new API token of the caller's organisation; its secret is in the answer, and only there. */
  createApiToken(token: ApiTokenSpec, signal?: AbortSignal): Promise<APITokenServiceCreateResponse>;
  close(): void;
}

export function createControlPlaneClient(options: ControlPlaneClientOptions): ControlPlaneClient {
  const client = new Client(options.address, credentials.createInsecure());
  const peer = { service: 'the control plane', address: options.address };
  const call = <Req, Res>(method: MethodDefinition<Req, Res>, request: Req, signal?: AbortSignal) =>
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
  const byName = (name: string) => create(CASBackendRefSchema, { ref: { case: 'name', value: name } });
  const backendOf = (response: { backend?: CASBackend | undefined }) => {
    if (!response.backend) throw new CairnError(Code.Internal, 'the control plane sent no backend');
    return response.backend;
  };
  return {
    call,
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
        await call(
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
          }),
          signal,
        ),
      ),
    revalidateBackend: async (name, signal) =>
      backendOf(
        await call(
          casBackendService.revalidate,
          create(CASBackendServiceRevalidateRequestSchema, { backend: byName(name) }),
          signal,
        ),
      ),
    createApiToken: (token, signal) =>
      call(
        apiTokenService.create,
        create(APITokenServiceCreateRequestSchema, {
          name: token.name,
          kind: token.kind === 'robot' ? APITokenKind.API_TOKEN_KIND_ROBOT : APITokenKind.API_TOKEN_KIND_USER,
          ...(token.expiresAt === undefined ? {} : { expiresAt: timestampFromDate(token.expiresAt) }),
        }),
        signal,
      ),
    close: () => client.close(),
  };
}
