import { CairnError } from '@cairn/errors';
import { Metadata, type StatusObject } from '@grpc/grpc-js';

/**
 * The one mapping from Cairn errors to gRPC statuses. Cairn's codes are gRPC's numbers, so the code
 * passes through; the message is the CairnError's (written for users, never a secret) and the reason
 * travels in the `cairn-reason` trailer for programs. Unexpected errors were wrapped by `CairnError.from`
 * with a generic message: their cause stays in the server log.
 */
export function grpcStatusOf(error: unknown): Partial<StatusObject> {
  const failure = CairnError.from(error);
  const metadata = new Metadata();
  const reason = failure.details.reason;
  if (reason) metadata.set('cairn-reason', reason);
  return { code: failure.code as number, details: failure.message, metadata };
}
