import { CairnError, Code } from '@cairn/errors';
import { status as GrpcStatus, Metadata, type ServiceError, type StatusObject } from '@grpc/grpc-js';

/** The trailer that carries `CairnError.details.reason`, so programs can tell refusals apart. */
export const REASON_TRAILER = 'cairn-reason';

/**
 * The trailer that carries all of `CairnError.details` (reason included) as UTF-8 JSON, for refusals whose
 * facts a client needs besides the reason (e.g. a size limit and the backend it belongs to). Binary, so a
 * value may hold any text.
 */
export const DETAILS_TRAILER = 'cairn-details-bin';

/** Details larger than this are not sent (they are facts for programs, never payloads). */
const MAX_DETAILS_BYTES = 4096;

/**
 * Server side, the one mapping from errors to gRPC statuses. Cairn's codes are gRPC's numbers, so the
 * code passes through; the message is the CairnError's (written for users, never a secret), its reason
 * travels in the `cairn-reason` trailer and all its details in `cairn-details-bin`. Anything else was
 * wrapped by `CairnError.from` with a generic message: its cause stays in the server's log and never
 * reaches the client.
 */
export function grpcStatusOf(error: unknown): Partial<StatusObject> & { code: number } {
  const failure = CairnError.from(error);
  const metadata = new Metadata();
  const reason = failure.details.reason;
  if (reason) metadata.set(REASON_TRAILER, reason);
  if (Object.keys(failure.details).length > 0) {
    const encoded = Buffer.from(JSON.stringify(failure.details), 'utf8');
    if (encoded.byteLength <= MAX_DETAILS_BYTES) metadata.set(DETAILS_TRAILER, encoded);
  }
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
  const details = {
    ...detailsOf(error.metadata),
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
  };
  return new CairnError(
    code,
    error.details || `${peer.service} answered ${GrpcStatus[error.code] ?? error.code}`,
    { cause: error, ...(Object.keys(details).length > 0 ? { details } : {}) },
  );
}

/** The string fields of the details trailer; anything malformed is ignored (details are a courtesy). */
function detailsOf(metadata: Metadata): Record<string, string> {
  const [encoded] = metadata.get(DETAILS_TRAILER);
  if (!Buffer.isBuffer(encoded) || encoded.byteLength > MAX_DETAILS_BYTES) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(encoded.toString('utf8'));
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const details: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') details[key] = value;
  return details;
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

/**
 * grpc-js's own report that the connection failed, as opposed to an UNAVAILABLE a Cairn server sent about a
 * server behind it ("cannot reach registry … (ECONNREFUSED)"), which may use the same words but always
 * carries Cairn's trailers: that one must keep its message, or the client would blame the wrong server.
 */
function isTransportFailure(error: ServiceError): boolean {
  return (
    error.code === GrpcStatus.UNAVAILABLE &&
    error.metadata.get(REASON_TRAILER).length === 0 &&
    error.metadata.get(DETAILS_TRAILER).length === 0 &&
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
