import { CairnError, Code } from '@cairn/errors';

/**
 * Reading fields of untrusted credentials. Errors name the field and what it should be, never its value,
 * since credentials are secrets.
 */

/** What a provider's credentials consist of, for the one message that lists every problem at once. */
export interface CredentialShape {
  /** e.g. `aws-s3 credentials` */
  readonly what: string;
  /** What they need, as a sentence ends: `accessKeyId, secretAccessKey and region`. */
  readonly need: string;
  /** Listed after the problems, so the message names every field there is. */
  readonly required: readonly string[];
  readonly optional: readonly string[];
}

/**
 * The credentials as a record, once every field `shape` requires is there as non-empty text and no field
 * is unknown; otherwise INVALID_ARGUMENT saying what they need and listing each field missing, not text,
 * or unknown (names only, never a value). Absent credentials read as an empty object, so `{}` and nothing
 * at all get the same answer.
 */
export function checkCredentialFields(
  raw: unknown,
  shape: CredentialShape,
): Readonly<Record<string, unknown>> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new CairnError(
      Code.InvalidArgument,
      `${shape.what} need ${shape.need}, as the fields of one object of strings`,
    );
  }
  const record = (raw ?? {}) as Readonly<Record<string, unknown>>;
  const problems = fieldProblems(record, shape.required, [...shape.required, ...shape.optional]);
  if (problems !== '') throw new CairnError(Code.InvalidArgument, credentialsMessage(shape, problems));
  return record;
}

/** `<what> need <need> (<problems>); optional: <fields>` */
export function credentialsMessage(shape: CredentialShape, problems: string): string {
  const optional = shape.optional.length > 0 ? `; optional: ${shape.optional.join(', ')}` : '';
  return `${shape.what} need ${shape.need} (${problems})${optional}`;
}

/**
 * `missing: a, b; not text: c; unknown: d` for the fields of `required` that are absent or empty, the
 * known fields that are not strings, and the fields outside `known`; '' when there is nothing to say.
 */
export function fieldProblems(
  record: Readonly<Record<string, unknown>>,
  required: readonly string[],
  known: readonly string[],
  /** Also missing, as written (e.g. a choice: `accountKey or tenantId/clientId/clientSecret`). */
  alsoMissing: readonly string[] = [],
): string {
  const missing = [
    ...required.filter((field) => record[field] === undefined || record[field] === ''),
    ...alsoMissing,
  ];
  const notText = known.filter(
    (field) =>
      record[field] !== undefined && typeof record[field] !== 'string' && typeof record[field] !== 'boolean',
  );
  const unknown = Object.keys(record)
    .filter((field) => !known.includes(field))
    .map(fieldName);
  return [
    missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
    notText.length > 0 ? `not text: ${notText.join(', ')}` : '',
    unknown.length > 0 ? `unknown: ${unknown.join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join('; ');
}

/** A field name as a message may show it: short and printable (a name is not a secret, but may be junk). */
function fieldName(name: string): string {
  return /^[\w.-]{1,40}$/.test(name) ? name : JSON.stringify(name.slice(0, 20));
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
