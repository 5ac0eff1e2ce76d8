// zod/mini: see core/credential-fields.ts.
import * as z from 'zod/mini';
import { credentialRecord, parseCredentialFields } from '../core/credential-fields.js';

/**
 * Registry credentials: a username and password (or access token used as one), sent as HTTP basic auth
 * or exchanged for a bearer token, whichever the registry asks for. No fields means anonymous.
 */
export type OciCredentials = { readonly username: string; readonly password: string } | Record<string, never>;

const SHAPE = {
  what: 'oci credentials',
  need: 'username and password, or no fields at all for anonymous access',
  optional: [],
};

const SCHEMA = z.strictObject({
  // Any text but ':' (it ends the user in basic auth): a blank user name is a registry's to refuse.
  username: z.string().check(z.minLength(1), z.regex(/^[^:]*$/, 'must be text without ":"')),
  password: z.string().check(z.minLength(1)),
});

export function parseOciCredentials(raw: unknown): OciCredentials {
  if (Object.keys(credentialRecord(raw, SHAPE)).length === 0) return {};
  return parseCredentialFields(raw, SHAPE, SCHEMA);
}

export function hasCredentials(
  credentials: OciCredentials,
): credentials is { readonly username: string; readonly password: string } {
  return typeof credentials.username === 'string';
}
