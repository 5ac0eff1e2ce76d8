import { create } from '@bufbuild/protobuf';
import { CairnError, Code } from '@cairn/errors';
import {
  Client,
  credentials,
  status as GrpcStatus,
  Metadata,
  Server,
  ServerCredentials,
  type ServiceError,
  type sendUnaryData,
} from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckRequestSchema } from './gen/grpc/health/v1/health_pb.js';
import {
  DETAILS_TRAILER,
  fromGrpcError,
  grpcStatusOf,
  isServiceError,
  REASON_TRAILER,
  UNREACHABLE,
} from './grpc-status.js';
import { healthService } from './services.js';

const peer = { service: 'the CAS', address: '127.0.0.1:9001' };

function serviceError(code: GrpcStatus, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata });
}

describe('grpcStatusOf', () => {
  it("keeps a CairnError's code and message and sends its reason as a trailer", () => {
    const status = grpcStatusOf(
      new CairnError(Code.FailedPrecondition, 'no valid backend; set a fallback', {
        details: { reason: 'no_valid_backend' },
      }),
    );
    expect(status).toMatchObject({
      code: GrpcStatus.FAILED_PRECONDITION,
      details: 'no valid backend; set a fallback',
    });
    expect(status.metadata?.get(REASON_TRAILER)).toEqual(['no_valid_backend']);
  });

  it('sends a generic INTERNAL for anything unexpected, never its message', () => {
    const status = grpcStatusOf(new Error('connect to postgres://admin:hunter2@db failed'));
    expect(status.code).toBe(GrpcStatus.INTERNAL);
    expect(status.details).not.toContain('hunter2');
    expect(status.metadata?.get(REASON_TRAILER)).toEqual([]);
  });

  it('turns an abort into CANCELLED', () => {
    expect(grpcStatusOf(new DOMException('stop', 'AbortError')).code).toBe(GrpcStatus.CANCELLED);
  });
});

describe('fromGrpcError', () => {
  it("keeps the server's code, message and reason", () => {
    const metadata = new Metadata();
    metadata.set(REASON_TRAILER, 'digest_mismatch');
    const error = fromGrpcError(
      serviceError(GrpcStatus.INVALID_ARGUMENT, 'the digest differs', metadata),
      peer,
    );
    expect(error).toBeInstanceOf(CairnError);
    expect(error).toMatchObject({
      code: Code.InvalidArgument,
      message: 'the digest differs',
      details: { reason: 'digest_mismatch' },
    });
  });

  it('names the peer and what to check when it cannot be reached', () => {
    const error = fromGrpcError(
      serviceError(
        GrpcStatus.UNAVAILABLE,
        'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:9000',
      ),
      { service: 'the control plane', address: '127.0.0.1:9000' },
    );
    expect(error).toMatchObject({
      code: Code.Unavailable,
      message:
        'cannot reach the control plane at 127.0.0.1:9000 (connection refused); check that it runs and that the address is right',
      details: { reason: UNREACHABLE },
    });
  });

  it('keeps the message of an UNAVAILABLE the server sent about a server behind it, whatever its words', () => {
    const metadata = new Metadata();
    metadata.set(REASON_TRAILER, 'registry_unreachable');
    const said =
      "cannot reach registry 127.0.0.1:5000 (ECONNREFUSED); check the backend's location and that the registry is running";
    expect(fromGrpcError(serviceError(GrpcStatus.UNAVAILABLE, said, metadata), peer)).toMatchObject({
      code: Code.Unavailable,
      message: said,
      details: { reason: 'registry_unreachable' },
    });
  });

  it('reads string details from the details trailer and ignores a malformed one', () => {
    const metadata = new Metadata();
    metadata.set(REASON_TRAILER, 'blob_too_large');
    metadata.set(DETAILS_TRAILER, Buffer.from(JSON.stringify({ max_bytes: '1024', nested: { a: 1 } })));
    expect(
      fromGrpcError(serviceError(GrpcStatus.RESOURCE_EXHAUSTED, 'too big', metadata), peer).details,
    ).toEqual({ reason: 'blob_too_large', max_bytes: '1024' });
    const broken = new Metadata();
    broken.set(DETAILS_TRAILER, Buffer.from('{not json'));
    expect(fromGrpcError(serviceError(GrpcStatus.INTERNAL, 'x', broken), peer).details).toEqual({});
  });

  it('says which status came back when the server sent no message', () => {
    expect(fromGrpcError(serviceError(GrpcStatus.UNIMPLEMENTED, ''), peer).message).toBe(
      'the CAS answered UNIMPLEMENTED',
    );
  });

  it('passes a CairnError through and wraps what is not a gRPC status', () => {
    const original = new CairnError(Code.NotFound, 'gone');
    expect(fromGrpcError(original, peer)).toBe(original);
    expect(fromGrpcError(new Error('boom'), peer)).toMatchObject({ code: Code.Unknown, message: 'boom' });
    expect(isServiceError(new Error('boom'))).toBe(false);
  });
});

describe('a CairnError across a real grpc-js call', () => {
  let server: Server;
  let client: Client;
  let address: string;

  beforeAll(async () => {
    server = new Server();
    server.addService(healthService, {
      check: (_call: unknown, callback: sendUnaryData<unknown>) =>
        callback(
          grpcStatusOf(
            new CairnError(Code.PermissionDenied, 'the token is for another organisation', {
              details: { reason: 'wrong_org', org: 'acmé', limit: '1024' },
            }),
          ),
        ),
      list: () => undefined,
      watch: () => undefined,
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    address = `127.0.0.1:${port}`;
    client = new Client(address, credentials.createInsecure());
  });

  afterAll(() => {
    client?.close();
    server?.forceShutdown();
  });

  it('arrives as the same CairnError: code, message, reason and every detail', async () => {
    const failure = await new Promise<unknown>((resolve) =>
      client.makeUnaryRequest(
        healthService.check.path,
        healthService.check.requestSerialize,
        healthService.check.responseDeserialize,
        create(HealthCheckRequestSchema, { service: '' }),
        new Metadata(),
        (error) => resolve(error),
      ),
    );
    expect(isServiceError(failure)).toBe(true);
    expect(fromGrpcError(failure, { service: 'the test server', address })).toMatchObject({
      code: Code.PermissionDenied,
      message: 'the token is for another organisation',
      details: { reason: 'wrong_org', org: 'acmé', limit: '1024' },
    });
  });
});
