import { CairnError, Code } from '@cairn/errors';

/**
 * Reading fields of untrusted credentials. Errors name the field and what it should be, never its value,
 * since credentials are secrets.
 */
export function asRecord(raw: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CairnError(Code.InvalidArgument, `${what} must be an object`);
  }
  return raw as Record<string, unknown>;
}

export function requiredString(
  record: Readonly<Record<string, unknown>>,
  field: string,
  what: string,
): string {
  const value = record[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CairnError(Code.InvalidArgument, `${what} need a non-empty string "${field}"`);
  }
  return value;
}

export function optionalString(
  record: Readonly<Record<string, unknown>>,
  field: string,
  what: string,
): string | undefined {
  return record[field] === undefined ? undefined : requiredString(record, field, what);
}

/** An http(s) URL without user info, query or fragment, returned without a trailing '/'. */
export function optionalEndpoint(
  record: Readonly<Record<string, unknown>>,
  field: string,
  what: string,
): string | undefined {
  const value = optionalString(record, field, what);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CairnError(Code.InvalidArgument, `${what}: "${field}" must be an http:// or https:// URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new CairnError(
      Code.InvalidArgument,
      `${what}: "${field}" must be an http:// or https:// URL without user name or password`,
    );
  }
  if (url.search || url.hash) {
    throw new CairnError(Code.InvalidArgument, `${what}: "${field}" must not have a query or fragment`);
  }
  return url.href.replace(/\/$/, '');
}

export function optionalBoolean(
  record: Readonly<Record<string, unknown>>,
  field: string,
  what: string,
): boolean | undefined {
  const value = record[field];
  if (value === undefined || typeof value === 'boolean') return value;
  // Credentials pass through the secret store and the control plane's map<string, string>, so a flag
  // arrives as text.
  if (value === 'true' || value === 'false') return value === 'true';
  throw new CairnError(Code.InvalidArgument, `${what}: "${field}" must be true or false`);
}
