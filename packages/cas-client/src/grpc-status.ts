import { CairnError, Code } from '@cairn/errors';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** What the client knows about where an error happened, to say what to check. */
export interface ErrorContext {
  readonly address: string;
}

/**
 * The one place a gRPC status becomes a CairnError. The server's message is kept as it is (the server
 * writes it for the user); only transport failures, which carry grpc-js wording, get a message of ours.
 */
export function errorFromGrpc(error: unknown, context: ErrorContext): CairnError {
  if (error instanceof CairnError) return error;
  if (!isServiceError(error)) return CairnError.from(error, Code.Unknown, messageOf(error));
  const code = codeOf(error.code);
  const details = error.details || error.message;
  if (isTransportFailure(error)) {
    return new CairnError(
      Code.Unavailable,
      `cannot reach the CAS at ${context.address} (${transportReason(error.details)}); check that it runs and that the address is right`,
      { cause: error },
    );
  }
  if (code === Code.Canceled) return new CairnError(Code.Canceled, 'the call was canceled', { cause: error });
  return new CairnError(code, details || `the CAS answered ${GrpcStatus[error.code] ?? error.code}`, {
    cause: error,
  });
}

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

export function isServiceError(error: unknown): error is ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<ServiceError>).code === 'number' &&
    typeof (error as Partial<ServiceError>).details === 'string' &&
    (error as Partial<ServiceError>).metadata !== undefined
  );
}

function isTransportFailure(error: ServiceError): boolean {
  return (
    error.code === GrpcStatus.UNAVAILABLE &&
    /No connection established|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|Connection dropped|Failed to connect/i.test(
      error.details,
    )
  );
}

function transportReason(details: string): string {
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(details)) return 'host not found';
  if (/EHOSTUNREACH|ENETUNREACH/.test(details)) return 'host unreachable';
  if (/ECONNRESET|Connection dropped/i.test(details)) return 'connection dropped';
  return 'no connection';
}

function codeOf(grpcCode: number): Code {
  return grpcCode in Code ? (grpcCode as Code) : Code.Unknown;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
