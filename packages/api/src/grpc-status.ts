import { CairnError, Code } from '@cairn/errors';
import { status as GrpcStatus, Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** The trailer that carries `CairnError.details.reason`, so programs can tell refusals apart. */
export const REASON_TRAILER = 'cairn-reason';

/**
 * Server side, the one mapping from errors to gRPC statuses. Cairn's codes are gRPC's numbers, so the
 * code passes through; the message is the CairnError's (written for users, never a secret) and its
 * reason travels in the `cairn-reason` trailer. Anything else was wrapped by `CairnError.from` with a
 * generic message: its cause stays in the server's log and never reaches the client.
 */
export function grpcStatusOf(error: unknown): Partial<StatusObject> & { code: number } {
  const failure = CairnError.from(error);
  const metadata = new Metadata();
  const reason = failure.details.reason;
  if (reason) metadata.set(REASON_TRAILER, reason);
  return { code: failure.code as number, details: failure.message, metadata };
}

/** The reason of a call that never reached its server (refused, reset, unknown host). */
export const UNREACHABLE = 'unreachable';

/** Which server a client was talking to, so a transport failure can say what to check. */
export interface GrpcPeer {
  /** As a sentence names it, e.g. `the CAS` or `the control plane`. */
  readonly service: string;
  /** The address that was dialled, `host:port`. */
  readonly address: string;
}

/**
 * Client side, the one mapping from a failed call to a CairnError: the server's code, message and
 * reason as they were thrown there. Only transport failures, which carry grpc-js wording, get a
 * message of ours that names the peer. A CairnError passes through unchanged.
 */
export function fromGrpcError(error: unknown, peer: GrpcPeer): CairnError {
  if (error instanceof CairnError) return error;
  if (!isServiceError(error)) {
    return CairnError.from(error, Code.Unknown, error instanceof Error ? error.message : String(error));
  }
  if (isTransportFailure(error)) {
    return new CairnError(
      Code.Unavailable,
      `cannot reach ${peer.service} at ${peer.address} (${transportReason(error.details)}); check that it runs and that the address is right`,
      { cause: error, details: { reason: UNREACHABLE } },
    );
  }
  const code = codeOf(error.code);
  if (code === Code.Canceled) return new CairnError(Code.Canceled, 'the call was canceled', { cause: error });
  const [reason] = error.metadata.get(REASON_TRAILER);
  return new CairnError(
    code,
    error.details || `${peer.service} answered ${GrpcStatus[error.code] ?? error.code}`,
    { cause: error, ...(typeof reason === 'string' && reason !== '' ? { details: { reason } } : {}) },
  );
}

/** A failed grpc-js call (as opposed to an error thrown before or after one). */
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
