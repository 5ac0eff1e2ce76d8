import { create } from '@bufbuild/protobuf';
import {
  type CASBackend,
  CASBackendRefSchema,
  CASBackendServiceGetRequestSchema,
  CASCredentialsServiceGetRequestSchema,
  type CASCredentialsServiceGetResponse,
  CASMappingServiceRecordRequestSchema,
  type CASMappingServiceRecordResponse,
  CASRole,
  casBackendService,
  casCredentialsService,
  casMappingService,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from '@grpc/grpc-js';

export interface ControlPlaneClientOptions {
  /** `host:port` of the control plane's gRPC endpoint. */
  readonly address: string;
  /** An API token (`cairn_...`). */
  readonly apiToken: string;
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
  close(): void;
}

export function createControlPlaneClient(options: ControlPlaneClientOptions): ControlPlaneClient {
  const client = new Client(options.address, credentials.createInsecure());
  const call = <Req, Res>(method: MethodDefinition<Req, Res>, request: Req, signal?: AbortSignal) =>
    new Promise<Res>((resolve, reject) => {
      signal?.throwIfAborted();
      const metadata = new Metadata();
      metadata.set('authorization', `Bearer ${options.apiToken}`);
      const pending = client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        (error: ServiceError | null, response?: Res) => {
          signal?.removeEventListener('abort', cancel);
          if (error) reject(errorFromStatus(error));
          else if (response === undefined)
            reject(new CairnError(Code.Internal, 'the control plane sent no response'));
          else resolve(response);
        },
      );
      const cancel = () => pending.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
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
    async getBackend(name, signal) {
      const response = await call(
        casBackendService.get,
        create(CASBackendServiceGetRequestSchema, {
          backend: create(CASBackendRefSchema, { ref: { case: 'name', value: name } }),
        }),
        signal,
      );
      if (!response.backend) throw new CairnError(Code.Internal, 'the control plane sent no backend');
      return response.backend;
    },
    close: () => client.close(),
  };
}

/** A gRPC status as the CairnError it was on the server (same code and message). */
export function errorFromStatus(error: ServiceError): CairnError {
  const code = error.code >= 1 && error.code <= 16 ? (error.code as number as Code) : Code.Unknown;
  const [reason] = error.metadata?.get('cairn-reason') ?? [];
  return new CairnError(code, error.details || error.message, {
    ...(typeof reason === 'string' ? { details: { reason } } : {}),
  });
}
