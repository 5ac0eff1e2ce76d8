import { CairnError, Code, isAbortError } from '@cairn/errors';
import { isNetworkError } from '../object-store/network-error.js';

export interface AzureErrorContext {
  readonly container: string;
  /** The blob service URL (never carries credentials). */
  readonly endpoint: string;
}

const REFUSED_CREDENTIALS = new Set([
  'AuthenticationFailed',
  'AuthorizationFailure',
  'InvalidAuthenticationInfo',
]);
const PERMISSION_DENIED = new Set([
  'AuthorizationPermissionMismatch',
  'AuthorizationPermissionDenied',
  'InsufficientAccountPermissions',
  'AuthorizationSourceIPMismatch',
  'AuthorizationProtocolMismatch',
  'AuthorizationResourceTypeMismatch',
  'AuthorizationServiceMismatch',
]);
const IDENTITY_ERRORS = new Set([
  'AuthenticationError',
  'CredentialUnavailableError',
  'AuthenticationRequiredError',
]);

/** Maps what the Azure SDK threw to a CairnError a user can act on. The SDK's message is kept only as cause. */
export function fromAzureError(error: unknown, context: AzureErrorContext): CairnError {
  if (error instanceof CairnError) return error;
  if (isAbortError(error)) return CairnError.from(error);
  const code = azureErrorCode(error);
  const status = azureStatus(error);
  const name = error instanceof Error ? error.name : '';
  if (IDENTITY_ERRORS.has(name)) {
    return new CairnError(
      Code.Unauthenticated,
      'no access token could be obtained for the service principal; check tenantId, clientId, clientSecret and the authority host, and that it is reachable',
      { cause: error, details: { reason: 'credentials_refused' } },
    );
  }
  if (REFUSED_CREDENTIALS.has(code)) {
    return new CairnError(
      Code.Unauthenticated,
      `the Azure storage account at ${context.endpoint} refused the credentials; check the account name and key or the service principal (and the account's network rules)`,
      { cause: error, details: { reason: 'credentials_refused' } },
    );
  }
  if (PERMISSION_DENIED.has(code) || status === 403) {
    return new CairnError(
      Code.PermissionDenied,
      `the Azure storage account denied access to container "${context.container}"; grant these credentials a role that reads and writes blobs (e.g. Storage Blob Data Contributor)`,
      { cause: error, details: { reason: 'access_denied' } },
    );
  }
  if (code === 'ContainerNotFound') return containerNotFound(context, error);
  if (code === 'InvalidRange' || status === 416) {
    return new CairnError(Code.OutOfRange, 'the requested range is outside the stored blob', {
      cause: error,
    });
  }
  if (code === 'InvalidMetadata' || code === 'MetadataTooLarge' || code === 'InvalidHeaderValue') {
    return new CairnError(
      Code.InvalidArgument,
      'the file name or media type is not accepted by Azure; shorten it',
      {
        cause: error,
      },
    );
  }
  if (isNetworkError(error) || code === 'REQUEST_SEND_ERROR' || code === 'OperationTimedOut') {
    return new CairnError(
      Code.Unavailable,
      `the Azure blob endpoint ${context.endpoint} is unreachable; check the endpoint and the network, then retry`,
      { cause: error, details: { reason: 'endpoint_unreachable' } },
    );
  }
  if (code === 'ServerBusy' || code === 'InternalError' || (status !== undefined && status >= 500)) {
    return new CairnError(
      Code.Unavailable,
      `the Azure storage service at ${context.endpoint} failed (${code || status}); retry later`,
      { cause: error },
    );
  }
  return new CairnError(
    Code.Internal,
    `the Azure storage service answered with an unexpected error (${code || status || name})`,
    { cause: error },
  );
}

export function containerNotFound(context: AzureErrorContext, cause?: unknown): CairnError {
  return new CairnError(
    Code.NotFound,
    `the Azure container "${context.container}" does not exist at ${context.endpoint}; create it or validate the backend, which creates it`,
    { cause, details: { reason: 'container_not_found' } },
  );
}

/** The service's error code, from the body or (for HEAD requests) the x-ms-error-code header. */
export function azureErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const { code, details } = error as { code?: unknown; details?: { errorCode?: unknown } };
  if (typeof details?.errorCode === 'string') return details.errorCode;
  return typeof code === 'string' ? code : '';
}

export function azureStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
