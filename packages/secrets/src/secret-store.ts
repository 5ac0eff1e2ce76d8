/** A secret is a flat JSON object of strings (e.g. `{ accessKeyId, secretAccessKey }`). */
export type SecretValue = Readonly<Record<string, string>>;

/**
 * Where backend credentials live. A reference is an opaque path-like string (`orgs/<org>/backends/<id>`)
 * safe to store in the database; the value never leaves the store except to the CAS and to validation.
 * Unreachable stores throw CairnError UNAVAILABLE; unknown references NOT_FOUND.
 */
export interface SecretStore {
  /** Stores a new secret under `ref`; ALREADY_EXISTS if one is there. */
  put(ref: string, value: SecretValue, signal: AbortSignal): Promise<void>;
  get(ref: string, signal: AbortSignal): Promise<SecretValue>;
  /** Replaces the value under an existing `ref` in place, so tokens naming `ref` stay valid. */
  rotate(ref: string, value: SecretValue, signal: AbortSignal): Promise<void>;
  /** Removes `ref`; removing a missing reference is not an error. */
  delete(ref: string, signal: AbortSignal): Promise<void>;
}
