import { CairnError, Code } from '@cairn/errors';

/**
 * Registry credentials: a username and password (or access token used as one), sent as HTTP basic auth
 * or exchanged for a bearer token, whichever the registry asks for. No fields means anonymous.
 */
export type OciCredentials = { readonly username: string; readonly password: string } | Record<string, never>;

const FIELDS = new Set(['username', 'password']);

export function parseOciCredentials(raw: unknown): OciCredentials {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(
      'credentials must be an object with "username" and "password", or empty for anonymous access',
    );
  }
  const record = raw as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!FIELDS.has(key))
      throw invalid(`unknown field "${key}"; OCI credentials take "username" and "password"`);
  }
  const { username, password } = record;
  if (username === undefined && password === undefined) return {};
  if (typeof username !== 'string' || username === '' || username.includes(':')) {
    throw invalid('"username" must be a non-empty string without ":"');
  }
  if (typeof password !== 'string' || password === '') {
    throw invalid('"password" must be a non-empty string');
  }
  return { username, password };
}

export function hasCredentials(
  credentials: OciCredentials,
): credentials is { readonly username: string; readonly password: string } {
  return typeof credentials.username === 'string';
}

function invalid(why: string): CairnError {
  return new CairnError(Code.InvalidArgument, `OCI credentials are invalid: ${why}`);
}
