import { isServiceError } from '@cairn/api';
import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Errors worth another attempt: the connection or the server went away mid-call, or a deadline passed.
 * Anything the server decided (bad token, bad digest, too large) will not change by retrying.
 */
export function isTransient(error: unknown): boolean {
  if (!isServiceError(error)) return false;
  switch (error.code) {
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
    case GrpcStatus.ABORTED:
      return true;
    case GrpcStatus.INTERNAL:
      // grpc-js reports a stream reset by the peer or a proxy as INTERNAL with this wording.
      return /RST_STREAM|stream (was )?(closed|reset)|Protocol error/i.test(error.details);
    case GrpcStatus.CANCELLED:
      // A cancel we did not ask for comes from the server going down; our own aborts are filtered earlier.
      return true;
    default:
      return false;
  }
}
