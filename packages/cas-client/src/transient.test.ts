import { CairnError, Code } from '@cairn/errors';
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { isTransient } from './transient.js';

function serviceError(code: GrpcStatus, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

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
