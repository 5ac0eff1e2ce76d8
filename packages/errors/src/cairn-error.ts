import { Code, codeName } from './code.js';

/**
 * The one error type of Cairn. Every layer throws it (or lets `from()` wrap what it caught), and each
 * transport maps `code` to its own status exactly once. `message` is written for the person who must act
 * on it and never carries a secret.
 */
export class CairnError extends Error {
  override readonly name = 'CairnError';
  readonly code: Code;
  /** Machine-readable detail, e.g. `{ reason: 'digest_mismatch' }`; safe to log and send. */
  readonly details: Readonly<Record<string, string>>;

  constructor(
    code: Code,
    message: string,
    options: { cause?: unknown; details?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /**
   * Turns anything thrown into a CairnError. An AbortError becomes CANCELED; anything else unknown
   * becomes `fallback` (INTERNAL by default) with a generic message, keeping the original as `cause`
   * so it can be logged but not sent.
   */
  static from(reason: unknown, fallback: Code = Code.Internal, message?: string): CairnError {
    if (reason instanceof CairnError) return reason;
    if (isAbortError(reason)) {
      return new CairnError(Code.Canceled, message ?? 'the operation was canceled', { cause: reason });
    }
    return new CairnError(fallback, message ?? 'internal error; see the server log', { cause: reason });
  }

  override toString(): string {
    return `[${codeName(this.code)}] ${this.message}`;
  }
}

export function isAbortError(reason: unknown): boolean {
  return (
    reason instanceof Error &&
    (reason.name === 'AbortError' || (reason as { code?: unknown }).code === 'ABORT_ERR')
  );
}
