import { CairnError, Code } from '@cairn/errors';
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { errorFromGrpc, isTransient } from './grpc-status.js';

function serviceError(code: GrpcStatus, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

const context = { address: '127.0.0.1:9001' };

describe('errorFromGrpc', () => {
  it("keeps the server's code and message", () => {
    const error = errorFromGrpc(
      serviceError(GrpcStatus.PERMISSION_DENIED, 'the token is for download'),
      context,
    );
    expect(error).toBeInstanceOf(CairnError);
    expect(error).toMatchObject({ code: Code.PermissionDenied, message: 'the token is for download' });
  });

  it('says which address could not be reached and what to check', () => {
    const error = errorFromGrpc(
      serviceError(
        GrpcStatus.UNAVAILABLE,
        'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:9001',
      ),
      context,
    );
    expect(error.code).toBe(Code.Unavailable);
    expect(error.message).toBe(
      'cannot reach the CAS at 127.0.0.1:9001 (connection refused); check that it runs and that the address is right',
    );
  });

  it('passes a CairnError through', () => {
    const original = new CairnError(Code.NotFound, 'gone');
    expect(errorFromGrpc(original, context)).toBe(original);
  });
});

describe('isTransient', () => {
  it.each([
    [GrpcStatus.UNAVAILABLE, 'Connection dropped', true],
    [GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded', true],
    [GrpcStatus.INTERNAL, 'Received RST_STREAM with code 2', true],
    [GrpcStatus.INTERNAL, 'the server broke', false],
    [GrpcStatus.UNAUTHENTICATED, 'bad token', false],
    [GrpcStatus.INVALID_ARGUMENT, 'digest mismatch', false],
  ])('code %i (%s) → %s', (code, details, expected) => {
    expect(isTransient(serviceError(code, details))).toBe(expected);
  });

  it('never retries errors that are not gRPC statuses', () => {
    expect(isTransient(new CairnError(Code.Unavailable, 'disk'))).toBe(false);
  });
});
