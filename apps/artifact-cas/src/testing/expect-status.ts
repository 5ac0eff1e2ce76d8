import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'vitest';

export type StatusName = keyof typeof GrpcStatus;

/** Awaits a gRPC call expected to fail, and checks its status code and message. */
export async function expectStatus(
  call: Promise<unknown>,
  code: StatusName,
  message?: RegExp,
): Promise<ServiceError> {
  let error: ServiceError | undefined;
  try {
    await call;
  } catch (caught) {
    error = caught as ServiceError;
  }
  expect(error, `expected ${code}, but the call succeeded`).toBeDefined();
  const failure = error as ServiceError;
  expect(GrpcStatus[failure.code], failure.details).toBe(code);
  if (message) expect(failure.details).toMatch(message);
  return failure;
}
