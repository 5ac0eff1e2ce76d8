import { CairnError, Code } from '@cairn/errors';
import { CallDeadlineElapsed } from './bounded-call.js';

/** The Vault capability a call needs, which is also how messages name the operation. */
export type VaultCapability = 'create' | 'read' | 'update' | 'delete';

export interface VaultCallContext {
  readonly endpoint: string;
  readonly mount: string;
  readonly capability: VaultCapability;
  /** The API path without `/v1/`, e.g. `secret/data/cairn/orgs/a/backends/b`. */
  readonly path: string;
  readonly ref: string;
  readonly timeoutMs: number;
  /** Strings that must not appear in any message: the token and the values being written. */
  readonly secrets: readonly string[];
}

/** Marks the CairnError for Vault's check-and-set refusal, which `put` and `rotate` interpret. */
export const CAS_MISMATCH = 'vault_cas_mismatch';

/**
 * Turns what node-vault threw into a CairnError. The original error is never kept as the cause: axios
 * errors hold the request headers (with the token) and body (with the secret). At most a redacted copy
 * of its message is.
 */
export function vaultError(error: unknown, context: VaultCallContext): CairnError {
  if (error instanceof CairnError) return error;
  const { endpoint } = context;
  if (error instanceof CallDeadlineElapsed || isTimeout(error)) {
    return new CairnError(
      Code.Unavailable,
      `the secret store at ${endpoint} is unreachable: no answer within ${context.timeoutMs} ms; check Vault's health and the network, or raise requestTimeoutMs`,
      { details: { reason: 'vault_timeout' } },
    );
  }
  const failure = httpFailure(error);
  if (failure !== undefined) return httpError(failure, context);
  const code = errnoCode(error);
  const cause = redactedCopy(error, context.secrets);
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL/.test(code)) {
    return new CairnError(
      Code.Unavailable,
      `cannot verify the TLS certificate of the secret store at ${endpoint} (${code}); give the CA that signed it (secrets.caCertificateFile)`,
      { cause, details: { reason: 'vault_tls' } },
    );
  }
  if (code !== undefined) {
    return new CairnError(
      Code.Unavailable,
      `the secret store at ${endpoint} is unreachable (${code}); check that Vault runs there and that this host can reach it`,
      { cause, details: { reason: 'vault_unreachable' } },
    );
  }
  return new CairnError(
    Code.Internal,
    `calling the secret store at ${endpoint} failed unexpectedly; see the server log`,
    {
      cause,
    },
  );
}

interface HttpFailure {
  readonly status: number;
  readonly errors: readonly string[];
}

function httpError({ status, errors }: HttpFailure, context: VaultCallContext): CairnError {
  const { endpoint, capability, path } = context;
  const said = vaultSaid(errors, status, context.secrets);
  const details = { status: String(status) };
  if (status === 401 || status === 403) {
    return new CairnError(
      Code.PermissionDenied,
      `Vault at ${endpoint} denied ${capability} on ${path}: the token is invalid or expired, or its policy lacks the "${capability}" capability on that path; fix the token or its policy`,
      { details: { ...details, reason: 'vault_permission_denied' } },
    );
  }
  if (status === 404 && errors.length === 0) {
    return new CairnError(
      Code.NotFound,
      `no secret named ${JSON.stringify(context.ref)} in Vault at ${endpoint} (${path}); put it first`,
      { details: { ...details, ref: context.ref } },
    );
  }
  if (status === 404) {
    return new CairnError(
      Code.FailedPrecondition,
      `Vault at ${endpoint} has no KV version 2 secrets engine at mount "${context.mount}" (${said}); enable one there or configure the right mount`,
      { details: { ...details, reason: 'vault_mount_missing' } },
    );
  }
  if (status === 400 && errors.some((message) => message.includes('check-and-set'))) {
    return new CairnError(Code.Aborted, `Vault refused ${capability} on ${path}: ${said}`, {
      details: { ...details, reason: CAS_MISMATCH },
    });
  }
  if (status === 400) {
    return new CairnError(
      Code.FailedPrecondition,
      `Vault at ${endpoint} rejected ${capability} on ${path} (${said}); check that "${context.mount}" is a KV version 2 mount`,
      { details },
    );
  }
  if (status === 412 || status === 429 || status === 472 || status === 473 || status >= 500) {
    return new CairnError(
      Code.Unavailable,
      `the secret store at ${endpoint} answered ${status} (${said}); retry later or check Vault's health`,
      { details: { ...details, reason: 'vault_unavailable' } },
    );
  }
  return new CairnError(
    Code.Internal,
    `Vault at ${endpoint} answered ${status} to ${capability} on ${path} (${said})`,
    {
      details,
    },
  );
}

/** node-vault rejects non-2xx answers with an ApiResponseError carrying `response.statusCode` and the body. */
function httpFailure(error: unknown): HttpFailure | undefined {
  if (!(error instanceof Error) || !('response' in error)) return undefined;
  const response = error.response as { statusCode?: unknown; body?: unknown } | undefined;
  if (typeof response?.statusCode !== 'number') return undefined;
  const body = response.body as { errors?: unknown } | undefined;
  const errors = Array.isArray(body?.errors) ? body.errors.filter((item) => typeof item === 'string') : [];
  return { status: response.statusCode, errors };
}

function isTimeout(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT';
}

function errnoCode(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function vaultSaid(errors: readonly string[], status: number, secrets: readonly string[]): string {
  const text = errors.length > 0 ? errors.join('; ') : `HTTP ${status}`;
  const redacted = redact(text, secrets);
  return redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted;
}

function redactedCopy(error: unknown, secrets: readonly string[]): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const copy = new Error(redact(message, secrets));
  copy.name = name;
  return copy;
}

function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.replaceAll(secret, '[redacted]');
  }
  return result;
}
