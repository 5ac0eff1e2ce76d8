import { CairnError } from '@cairn/errors';
import { Metadata, type StatusObject } from '@grpc/grpc-js';

/**
 * The control plane's one mapping from errors to gRPC statuses. Cairn's codes are gRPC's numbers; the
 * message is the CairnError's (written for users, never a secret); `details.reason` travels in the
 * `cairn-reason` trailer. Anything unexpected was wrapped by `CairnError.from` with a generic message and
 * its cause stays in the server log.
 */
export function grpcStatusOf(error: unknown): Partial<StatusObject> & { code: number } {
  const failure = CairnError.from(error);
  const metadata = new Metadata();
  const reason = failure.details.reason;
  if (reason) metadata.set('cairn-reason', reason);
  return { code: failure.code as number, details: failure.message, metadata };
}
