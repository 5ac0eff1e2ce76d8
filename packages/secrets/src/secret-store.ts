import { type AbortWording, CairnError, Code } from '@cairn/errors';

/**
 * A secret is a flat JSON object of strings (e.g. `{ accessKeyId, secretAccessKey }`): at least one field,
 * field names of 1–128 characters, at most 64 KiB as JSON (see `validateSecretValue`).
 */
export type SecretValue = Readonly<Record<string, string>>;

/**
 * Where backend credentials live. A reference is an opaque path-like string (`orgs/<org>/backends/<id>`)
 * safe to store in the database; the value never leaves the store except to the CAS and to validation.
 *
 * Every implementation behaves the same (one contract test suite runs against all of them):
 * - a malformed reference or value is INVALID_ARGUMENT (see `validateSecretRef`, `validateSecretValue`);
 * - an unreachable or unusable store is UNAVAILABLE, a store that refuses the configured credentials
 *   PERMISSION_DENIED, an unknown reference NOT_FOUND;
 * - an aborted `signal` ends the call with CANCELED (a write already under way may still take effect);
 * - no error message, detail or cause carries a secret value or the store's own credentials.
 */
export interface SecretStore {
  /** Stores a new secret under `ref`; ALREADY_EXISTS if one is there (the existing value is kept). */
  put(ref: string, value: SecretValue, signal: AbortSignal): Promise<void>;
  /** Returns the current value under `ref` (a frozen copy); NOT_FOUND if there is none. */
  get(ref: string, signal: AbortSignal): Promise<SecretValue>;
  /**
   * Replaces the value under an existing `ref` in place, so tokens naming `ref` stay valid; NOT_FOUND if
   * there is none. Concurrent rotations of one reference: the last writer wins.
   */
  rotate(ref: string, value: SecretValue, signal: AbortSignal): Promise<void>;
  /** Removes `ref` with all its history; removing a missing reference is not an error. */
  delete(ref: string, signal: AbortSignal): Promise<void>;
}

/** How every store says that the caller's signal ended a call. */
export const SECRET_STORE_ABORT_WORDING: AbortWording = {
  canceled: 'the secret store call was canceled',
  timedOut: 'the secret store call ran out of time; retry with a longer deadline',
};

/** What `put` answers, whatever the store, when `ref` holds a secret already. */
export function secretAlreadyExists(ref: string): CairnError {
  return new CairnError(
    Code.AlreadyExists,
    `a secret named ${JSON.stringify(ref)} already exists; rotate it instead`,
    { details: { ref } },
  );
}
