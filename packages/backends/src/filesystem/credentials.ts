import { CairnError, Code } from '@cairn/errors';
import { shorten } from '../core/shorten.js';

/** A filesystem backend needs no credentials: access is the CAS process's own. */
export type FilesystemCredentials = Record<string, never>;

/**
 * Nothing, or an empty object; a field is refused by name (never by value, which may be a secret).
 * Checked by hand, not with the zod reader the other providers share (core/credential-fields.ts): the one
 * rule is "no fields", and that reader's message, built to list what fields are needed, tried here read
 * "need no fields …, as the fields of one object of strings" for a non-object.
 */
export function parseFilesystemCredentials(raw: unknown): FilesystemCredentials {
  if (raw === undefined) return {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CairnError(Code.InvalidArgument, 'filesystem credentials must be an empty object');
  }
  const [unknown] = Object.keys(raw);
  if (unknown !== undefined) {
    throw new CairnError(
      Code.InvalidArgument,
      `filesystem credentials take no fields, but "${shorten(unknown)}" was given; remove it`,
    );
  }
  return {};
}
