import { CairnError, Code } from '@cairn/errors';

/** Longest accepted reference, so every store can map it to one file name or URL path segment run. */
export const MAX_SECRET_REF_LENGTH = 200;

const SEGMENT = /^[A-Za-z0-9._-]+$/;
const RULE =
  "use segments of letters, digits, '.', '_' or '-' joined by single '/' (e.g. orgs/acme/backends/b1)";

/**
 * Checks that `ref` is a relative path of segments `[A-Za-z0-9._-]+` joined by `/`, at most
 * MAX_SECRET_REF_LENGTH characters, with no empty, `.` or `..` segment. Returns `ref` unchanged; throws
 * INVALID_ARGUMENT otherwise. Every store calls this first, so a reference can never escape its store's
 * directory or path prefix.
 */
export function validateSecretRef(ref: unknown): string {
  if (typeof ref !== 'string') throw invalid('a secret reference must be a string');
  if (ref.length === 0) throw invalid(`the secret reference is empty; ${RULE}`);
  if (ref.length > MAX_SECRET_REF_LENGTH) {
    throw invalid(
      `the secret reference is ${ref.length} characters long; the limit is ${MAX_SECRET_REF_LENGTH}`,
    );
  }
  if (ref.startsWith('/'))
    throw invalid(`the secret reference ${quote(ref)} must not start with '/'; ${RULE}`);
  for (const segment of ref.split('/')) {
    if (segment === '') throw invalid(`the secret reference ${quote(ref)} has an empty segment; ${RULE}`);
    if (segment === '.' || segment === '..') {
      throw invalid(`the secret reference ${quote(ref)} must not contain '.' or '..' segments; ${RULE}`);
    }
    if (!SEGMENT.test(segment)) {
      throw invalid(`the secret reference ${quote(ref)} contains a character that is not allowed; ${RULE}`);
    }
  }
  return ref;
}

function quote(ref: string): string {
  return JSON.stringify(ref.length > 80 ? `${ref.slice(0, 80)}…` : ref);
}

function invalid(message: string): CairnError {
  return new CairnError(Code.InvalidArgument, message, { details: { reason: 'invalid_secret_ref' } });
}
