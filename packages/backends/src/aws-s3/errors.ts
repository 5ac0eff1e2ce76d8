import { CairnError, Code, isAbortError } from '@cairn/errors';
import { isNetworkError } from '../object-store/network-error.js';

export interface S3ErrorContext {
  readonly bucket: string;
  /** An endpoint URL or a description of it, for "unreachable" messages. */
  readonly endpoint: string;
}

const REFUSED_CREDENTIALS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidClientTokenId',
]);

/** Maps what the AWS SDK threw to a CairnError a user can act on. The SDK's message is kept only as cause. */
export function fromS3Error(error: unknown, context: S3ErrorContext): CairnError {
  if (error instanceof CairnError) return error;
  if (isAbortError(error)) return CairnError.from(error);
  const name = errorName(error);
  const status = httpStatus(error);
  if (REFUSED_CREDENTIALS.has(name)) {
    return new CairnError(
      Code.Unauthenticated,
      'the S3 server refused the credentials; check the access key id, secret access key and region',
      { cause: error, details: { reason: 'credentials_refused' } },
    );
  }
  if (name === 'AccessDenied' || name === 'AllAccessDisabled' || status === 403) {
    return new CairnError(
      Code.PermissionDenied,
      `the S3 server denied access to bucket "${context.bucket}"; grant these credentials read and write access to it`,
      { cause: error, details: { reason: 'access_denied' } },
    );
  }
  if (name === 'NoSuchBucket') {
    return new CairnError(
      Code.NotFound,
      `the S3 bucket "${context.bucket}" does not exist at ${context.endpoint}; create it or fix the backend's location`,
      { cause: error, details: { reason: 'bucket_not_found' } },
    );
  }
  if (name === 'InvalidRange' || status === 416) {
    return new CairnError(Code.OutOfRange, 'the requested range is outside the stored blob', {
      cause: error,
    });
  }
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return new CairnError(
      Code.FailedPrecondition,
      `bucket "${context.bucket}" is in another region; set the backend's region to the bucket's`,
      { cause: error },
    );
  }
  if (name === 'MetadataTooLarge' || name === 'KeyTooLongError') {
    return new CairnError(Code.InvalidArgument, 'the file name is too long for this S3 server; shorten it', {
      cause: error,
    });
  }
  if (isNetworkError(error) || name === 'TimeoutError' || name === 'RequestTimeout') {
    return new CairnError(
      Code.Unavailable,
      `the S3 endpoint ${context.endpoint} is unreachable; check the endpoint and the network, then retry`,
      { cause: error, details: { reason: 'endpoint_unreachable' } },
    );
  }
  if (name === 'SlowDown' || name === 'ServiceUnavailable' || (status !== undefined && status >= 500)) {
    return new CairnError(
      Code.Unavailable,
      `the S3 server at ${context.endpoint} failed (${name || status}); retry later`,
      { cause: error },
    );
  }
  return new CairnError(
    Code.Internal,
    `the S3 server answered with an unexpected error (${name || status})`,
    {
      cause: error,
    },
  );
}

export function httpStatus(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

function errorName(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const code = (error as { Code?: unknown }).Code;
  return typeof code === 'string' ? code : error.name;
}
