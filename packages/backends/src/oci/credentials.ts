import { CairnError, Code } from '@cairn/errors';
import { type CredentialShape, credentialsMessage, fieldProblems } from '../core/credential-fields.js';

/**
 * Registry credentials: a username and password (or access token used as one), sent as HTTP basic auth
 * or exchanged for a bearer token, whichever the registry asks for. No fields means anonymous.
 */
export type OciCredentials = { readonly username: string; readonly password: string } | Record<string, never>;

const SHAPE: CredentialShape = {
  what: 'oci credentials',
  need: 'username and password, or no fields at all for anonymous access',
  required: ['username', 'password'],
  optional: [],
};

export function parseOciCredentials(raw: unknown): OciCredentials {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw invalid(`${SHAPE.what} need ${SHAPE.need}, as the fields of one object of strings`);
  }
  const record = raw as Record<string, unknown>;
  if (Object.keys(record).length === 0) return {};
  const problems = fieldProblems(record, SHAPE.required, SHAPE.required);
  if (problems !== '') throw invalid(credentialsMessage(SHAPE, problems));
  const { username, password } = record;
  if (typeof username !== 'string' || username.includes(':')) {
    throw invalid('oci credentials: "username" must be text without ":"');
  }
  if (typeof password !== 'string') throw invalid('oci credentials: "password" must be text');
  return { username, password };
}

export function hasCredentials(
  credentials: OciCredentials,
): credentials is { readonly username: string; readonly password: string } {
  return typeof credentials.username === 'string';
}

function invalid(message: string): CairnError {
  return new CairnError(Code.InvalidArgument, message);
}
