import type { ServerResponse } from 'node:http';
import { CairnError, Code, codeName, httpStatusOf } from '@cairn/errors';

/**
 * The one mapping from Cairn errors to HTTP responses: status from `httpStatusOf` (411 when a PUT lacks
 * its length, which only HTTP has), body `{ code, message, details }` where code is the gRPC name and
 * details the error's machine-readable facts (`reason` among them), so a client handles both transports
 * alike.
 */
export function sendError(
  response: ServerResponse,
  error: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  const failure = CairnError.from(error);
  if (response.headersSent) {
    // Headers and part of a body are out: the only honest signal left is an incomplete response.
    response.destroy(failure);
    return;
  }
  const status = failure.details.reason === 'length_required' ? 411 : httpStatusOf(failure.code);
  const body = JSON.stringify({
    code: codeName(failure.code),
    message: failure.message,
    details: failure.details,
  });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extraHeaders,
  };
  if (failure.code === Code.Unauthenticated) headers['www-authenticate'] = 'Bearer realm="cairn-cas"';
  response.writeHead(status, headers);
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
