import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { type IncomingMessage, request } from 'node:http';
import type { Payload } from './data.js';

/** PUTs a payload and resolves when the server answered 2xx. */
export async function httpPut(
  url: string,
  payload: Payload,
  headers: Record<string, string> = {},
): Promise<void> {
  const req = request(url, { method: 'PUT', headers: { ...headers, 'content-length': payload.size } });
  const answered = once(req, 'response') as Promise<[IncomingMessage]>;
  for (const chunk of payload.chunks()) {
    if (!req.write(chunk)) await once(req, 'drain');
  }
  req.end();
  const [response] = await answered;
  const body: Buffer[] = [];
  for await (const chunk of response) body.push(chunk as Buffer);
  if ((response.statusCode ?? 0) >= 300) {
    throw new Error(`PUT ${url} answered ${response.statusCode}: ${Buffer.concat(body).toString()}`);
  }
}

/** GETs a resource, hashing it as a client would; resolves with the byte count and hex digest. */
export async function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ size: number; hex: string }> {
  const req = request(url, { method: 'GET', headers });
  req.end();
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  if ((response.statusCode ?? 0) >= 300) throw new Error(`GET ${url} answered ${response.statusCode}`);
  return { size, hex: hash.digest('hex') };
}

/** DELETEs a resource and resolves when the server answered 2xx. */
export async function httpDelete(url: string): Promise<void> {
  const req = request(url, { method: 'DELETE' });
  req.end();
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  response.resume();
  await once(response, 'end');
  if ((response.statusCode ?? 0) >= 300) throw new Error(`DELETE ${url} answered ${response.statusCode}`);
}
