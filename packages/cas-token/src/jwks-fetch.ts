import { CairnError, Code } from '@cairn/errors';
import { JWKS_MEDIA_TYPE } from './jwks.js';
import type { RefusalReason } from './refusal.js';

/** A JWKS is a few hundred bytes per key; anything far larger is not one, and is not read into memory. */
const largestDocumentBytes = 256 * 1024;

/**
 * Fetches and parses the JSON document at `url`. Every failure is UNAVAILABLE: the CAS cannot judge
 * tokens until the control plane serves its keys again. Redirects are refused: the configured URL is the
 * trust anchor, and a redirect could move it elsewhere.
 */
export async function fetchJwksDocument(url: URL, signal: AbortSignal): Promise<unknown> {
  const where = `the control plane's key set at ${displayUrl(url)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      signal,
      redirect: 'error',
      headers: { accept: `${JWKS_MEDIA_TYPE}, application/json` },
    });
  } catch (error) {
    throw unreachable(error, signal, where);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw unavailable(
      `${where} answered HTTP ${response.status}; check that the control plane is healthy and the JWKS URL is right`,
    );
  }
  let text: string;
  try {
    text = await readCapped(response);
  } catch (error) {
    throw unreachable(error, signal, where);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw unavailable(`${where} did not answer with JSON; check the JWKS URL`);
  }
}

async function readCapped(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > largestDocumentBytes) throw new DocumentTooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body === null) return '';
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > largestDocumentBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new DocumentTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

class DocumentTooLarge extends Error {}

function unreachable(error: unknown, signal: AbortSignal, where: string): CairnError {
  if (error instanceof DocumentTooLarge) {
    return unavailable(
      `${where} is larger than ${largestDocumentBytes} bytes, which no key set is; check the JWKS URL`,
    );
  }
  if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') {
    return unavailable(
      `${where} did not answer in time; check that the control plane is running and reachable`,
      error,
    );
  }
  if (signal.aborted) return CairnError.from(signal.reason, Code.Canceled);
  const reason = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  return unavailable(
    `could not reach ${where}${reason ? ` (${reason})` : ''}; check that the control plane is running and reachable`,
    error,
  );
}

function unavailable(message: string, cause?: unknown): CairnError {
  const reason: RefusalReason = 'keys_unavailable';
  return new CairnError(Code.Unavailable, message, { cause, details: { reason } });
}

// Only scheme, host and path: a query string or user info in a configured URL may carry a credential.
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
