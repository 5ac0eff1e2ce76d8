import { CairnError, Code } from '@cairn/errors';
// zod/mini: the CLI reaches the credential parsers through the provider registry, and full zod costs it
// start-up time.
import * as z from 'zod/mini';

/**
 * Reading untrusted credentials with zod schemas. Zod finds every problem at once; this file turns them
 * into one line that names fields and what they should be, never a value, since credentials are secrets.
 */

/** What a provider's credentials consist of, for the one message that lists every problem at once. */
export interface CredentialShape {
  /** e.g. `aws-s3 credentials` */
  readonly what: string;
  /** What they need, as a sentence ends: `accessKeyId, secretAccessKey and region`. */
  readonly need: string;
  /** Listed after the problems, so the message names every field there is. */
  readonly optional: readonly string[];
}

/** Text other than blanks: a blank required field reads as missing. */
export function text() {
  return z.string().check(z.refine((value) => value.trim() !== '', 'must not be blank'));
}

/** Text that must also match `pattern`; `rule` ends the message, e.g. `must look like "us-east-1"`. */
export function matching(pattern: RegExp, rule: string) {
  return text().check(z.regex(pattern, rule));
}

/** An http(s) URL without user info, query or fragment, read without a trailing '/'. */
export function endpoint() {
  return z.pipe(
    text(),
    z.transform((value, context) => {
      const rule = endpointRule(value);
      if (rule === undefined) return new URL(value).href.replace(/\/$/, '');
      context.issues.push({ code: 'custom', message: rule, input: value });
      return z.NEVER;
    }),
  );
}

function endpointRule(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http:// or https:// URL';
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    return 'must be an http:// or https:// URL without user name or password';
  }
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

/**
 * true or false. Credentials pass through the secret store and the control plane's map<string, string>,
 * so a flag arrives as text.
 */
export function flag() {
  return z.pipe(
    z.union([z.boolean(), z.string()]),
    z.transform((value, context) => {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      context.issues.push({ code: 'custom', message: 'must be true or false', input: value });
      return z.NEVER;
    }),
  );
}

/**
 * The credentials `schema` reads from `raw`, or INVALID_ARGUMENT. Fields missing, not text or unknown are
 * listed in one message that says what the credentials need; otherwise the first field that breaks its
 * rule is named with the rule. Absent credentials read as an empty object, so `{}` and nothing at all get
 * the same answer.
 */
export function parseCredentialFields<T>(
  raw: unknown,
  shape: CredentialShape,
  schema: z.ZodMiniType<T>,
  /** Also missing, as written (e.g. a choice: `accountKey or tenantId/clientId/clientSecret`). */
  alsoMissing: readonly string[] = [],
): T {
  const record = credentialRecord(raw, shape);
  const result = schema.safeParse(record);
  if (result.success && alsoMissing.length === 0) return result.data;
  const missing: string[] = [];
  const notText: string[] = [];
  const unknown: string[] = [];
  let broken: string | undefined;
  for (const issue of result.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      unknown.push(...issue.keys.map(fieldName));
      continue;
    }
    const field = String(issue.path[0]);
    const value = record[field];
    const blank = typeof value === 'string' && value.trim() === '';
    if (value === undefined || (blank && !shape.optional.includes(field))) missing.push(field);
    else if (issue.code === 'invalid_type' || issue.code === 'invalid_union') notText.push(field);
    else broken ??= `${shape.what}: "${field}" ${issue.message}`;
  }
  missing.push(...alsoMissing);
  const problems = [
    missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
    notText.length > 0 ? `not text: ${notText.join(', ')}` : '',
    unknown.length > 0 ? `unknown: ${unknown.join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join('; ');
  if (problems !== '') {
    const optional = shape.optional.length > 0 ? `; optional: ${shape.optional.join(', ')}` : '';
    throw new CairnError(Code.InvalidArgument, `${shape.what} need ${shape.need} (${problems})${optional}`);
  }
  throw new CairnError(Code.InvalidArgument, broken ?? `${shape.what} are not valid`);
}

/** The credentials as a record of fields: they are one JSON object, or nothing at all. */
export function credentialRecord(raw: unknown, shape: CredentialShape): Readonly<Record<string, unknown>> {
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new CairnError(
      Code.InvalidArgument,
      `${shape.what} need ${shape.need}, as the fields of one object of strings`,
    );
  }
  return (raw ?? {}) as Readonly<Record<string, unknown>>;
}

/** A field name as a message may show it: short and printable (a name is not a secret, but may be junk). */
function fieldName(name: string): string {
  return /^[\w.-]{1,40}$/.test(name) ? name : JSON.stringify(name.slice(0, 20));
}
