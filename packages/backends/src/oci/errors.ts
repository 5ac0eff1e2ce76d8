import { CairnError, Code, isAbortError } from '@cairn/errors';

/** What a request was for, so an error can say what failed and what to do. */
export interface RequestContext {
  readonly host: string;
  readonly repository: string;
  /** The registry action the request needs. */
  readonly action: 'pull' | 'push' | 'delete';
  /** Short description for messages, e.g. "start an upload". */
  readonly what: string;
  readonly anonymous: boolean;
}

interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
}

/** Turns a registry's error response into a CairnError. The response body is consumed. */
export async function registryError(response: Response, context: RequestContext): Promise<CairnError> {
  const entry = await firstError(response);
  const { host, repository, what } = context;
  const status = response.status;
  const said = entry.message ? ` (registry said: ${entry.message})` : '';
  const details = {
    reason: entry.code ? entry.code.toLowerCase() : `http_${status}`,
    status: String(status),
  };
  const error = (code: Code, message: string) => new CairnError(code, message, { details });

  if (status === 401 && /error="?insufficient_scope/i.test(response.headers.get('www-authenticate') ?? '')) {
    return error(
      Code.PermissionDenied,
      `registry ${host} granted these credentials too little to ${what} in ${repository}; grant them ${context.action} access`,
    );
  }
  if (status === 401) {
    return context.anonymous
      ? error(
          Code.Unauthenticated,
          `registry ${host} requires credentials to ${what} in ${repository}; configure a username and password for this backend`,
        )
      : error(
          Code.Unauthenticated,
          `registry ${host} refused the credentials for ${repository}; check the backend's username and password`,
        );
  }
  if (status === 403 || entry.code === 'DENIED') {
    return error(
      Code.PermissionDenied,
      `registry ${host} denied the request to ${what} in ${repository}; grant these credentials ${context.action} access${said}`,
    );
  }
  switch (entry.code) {
    case 'NAME_UNKNOWN':
      return context.action === 'pull'
        ? error(Code.NotFound, `repository ${repository} does not exist on ${host}`)
        : error(
            Code.FailedPrecondition,
            `registry ${host} has no repository ${repository} and does not create it on push; create it first`,
          );
    case 'NAME_INVALID':
      return error(Code.InvalidArgument, `registry ${host} refused the repository name ${repository}${said}`);
    case 'DIGEST_INVALID':
    case 'SIZE_INVALID':
      return error(
        Code.InvalidArgument,
        `registry ${host} refused to ${what}: the content does not match its digest or size; nothing was stored${said}`,
      );
    case 'BLOB_UPLOAD_UNKNOWN':
    case 'BLOB_UPLOAD_INVALID':
      return error(
        Code.Aborted,
        `the upload session on ${host} expired or was removed; upload the blob again${said}`,
      );
    case 'MANIFEST_INVALID':
    case 'MANIFEST_BLOB_UNKNOWN':
    case 'MANIFEST_UNVERIFIED':
    case 'TAG_INVALID':
      return error(
        Code.FailedPrecondition,
        `registry ${host} refused Cairn's evidence manifest in ${repository}; it may not accept OCI artifacts${said}`,
      );
    case 'UNSUPPORTED':
      return error(Code.Unimplemented, `registry ${host} does not support the request to ${what}${said}`);
    case 'TOOMANYREQUESTS':
      return error(Code.Unavailable, `registry ${host} is rate limiting requests; retry later${said}`);
  }
  if (status === 404) return error(Code.NotFound, `${what}: not found in ${repository} on ${host}${said}`);
  if (status === 405)
    return error(Code.Unimplemented, `registry ${host} does not allow the request to ${what}`);
  if (status === 413)
    return error(Code.ResourceExhausted, `registry ${host} refused a request body as too large${said}`);
  if (status === 416) return error(Code.OutOfRange, `registry ${host} cannot serve that byte range${said}`);
  if (status === 429)
    return error(Code.Unavailable, `registry ${host} is rate limiting requests; retry later`);
  if (status >= 500) {
    return error(Code.Unavailable, `registry ${host} failed to ${what} (HTTP ${status}); retry later${said}`);
  }
  return error(Code.Unknown, `registry ${host} answered HTTP ${status} to the request to ${what}${said}`);
}

/** A failure below HTTP: refused connection, unknown host, TLS, reset. Abort becomes CANCELED. */
export function transportError(reason: unknown, host: string): CairnError {
  if (reason instanceof CairnError) return reason;
  if (isAbortError(reason)) return CairnError.from(reason);
  const code = causeCode(reason);
  return new CairnError(
    Code.Unavailable,
    `cannot reach registry ${host}${code ? ` (${code})` : ''}; check the backend's location and that the registry is running`,
    { cause: reason, details: { reason: 'registry_unreachable' } },
  );
}

async function firstError(response: Response): Promise<RegistryErrorEntry> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone still classifies the error.
  }
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const first = body.errors?.[0];
    return {
      code: typeof first?.code === 'string' ? first.code : '',
      message: typeof first?.message === 'string' ? clip(first.message) : '',
    };
  } catch {
    return { code: '', message: '' };
  }
}

function causeCode(reason: unknown): string | undefined {
  let current: unknown = reason;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 197)}...` : oneLine;
}
