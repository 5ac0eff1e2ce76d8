/** Field names whose values are never written to a log, whatever they hold. */
const SECRET_KEY =
  /(^|[_-])(authorization|token|secret|password|passwd|credentials?|private[_-]?key|api[_-]?key|access[_-]?key|cookie|jwk)s?$/i;

/** A JWT or JWS compact serialisation (three base64url segments, header starting `{"`). */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** `Bearer xyz` wherever it appears in free text. */
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;

export const REDACTED = '[REDACTED]';

/** Whether a field of this name is assumed to hold a secret. Camel case counts: `accessToken`, `secretKey`. */
export function isSecretKey(key: string): boolean {
  const snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  return SECRET_KEY.test(snake);
}

/** Scrubs token-shaped substrings from free text (error messages from libraries, URLs with `?t=`). */
export function redactText(text: string): string {
  return text
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(/([?&]t=)[^&\s]+/g, `$1${REDACTED}`);
}

/**
 * A copy of `value` safe to log: secret-named fields are replaced, strings are scrubbed of tokens, errors
 * become `{ name, message, code }` and depth is bounded so a cyclic or huge object cannot stall a log line.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[…]';
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => redact(item, depth + 1));
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = isSecretKey(key) ? REDACTED : redact(field, depth + 1);
  }
  return out;
}

function redactError(error: Error, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactText(error.message) };
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (code !== undefined) out.code = redact(code, depth + 1);
  if (cause !== undefined) out.cause = redact(cause, depth + 1);
  return out;
}
