import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatDigest, isSha256Hex } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { PutBlob } from '../biz/put-blob.js';
import type { ReadBlob } from '../biz/read-blob.js';
import { blobMetaFrom } from '../service/blob-meta.js';
import type { CallContext } from '../service/call-context.js';
import { readAhead } from '../service/read-ahead.js';
import { resolveRange } from './byte-range.js';
import { sendJson } from './http-errors.js';

/** How much of a PUT body may arrive ahead of the backend: a few of its ~1 MiB writes. */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

export const BLOB_PATH = /^\/v1\/blobs\/([^/]*)$/;

/**
 * `PUT`, `GET` and `HEAD /v1/blobs/sha256:{hex}` (DESIGN.md, "Wire contract of the CAS"). Bodies stream
 * with backpressure both ways; the response to a GET starts before the blob is verified, so a blob found
 * corrupt on the way out ends the response early (the connection is reset before the last byte).
 */
export class BlobRoutes {
  constructor(
    private readonly puts: PutBlob,
    private readonly reads: ReadBlob,
  ) {}

  async put(ctx: CallContext, request: IncomingMessage, response: ServerResponse, digest: string, url: URL) {
    const hex = hexOf(digest);
    const claims = await ctx.authorize({ role: 'upload' });
    const size = contentLength(request);
    const meta = blobMetaFrom(
      ctx.metadata('x-cairn-filename') ?? url.searchParams.get('filename') ?? undefined,
      mediaTypeOf(request),
    );
    const open = () => {
      // With `Expect: 100-continue` the client waits for this before it sends the body.
      if (/100-continue/i.test(request.headers.expect ?? '')) response.writeContinue();
      // The body keeps arriving while the backend writes (a request alone buffers only 16 KiB, so each
      // write would stall the socket). Its ~64 KiB socket reads go down as they are: every driver copies
      // into buffers of its own anyway, and gathering them into 1 MiB buffers here first allocated a
      // second GiB per GiB, which took the CAS from 35 to 91 scavenges per GiB PUT (--trace-gc).
      return readAhead(counted(request, ctx), READ_AHEAD_BYTES);
    };
    const { existed } = await this.puts.put(claims, { hex, size }, meta, open, ctx.signal);
    ctx.note({ digest: formatDigest(hex), existed });
    if (existed && !request.complete) response.setHeader('connection', 'close');
    sendJson(response, existed ? 200 : 201, { digest: formatDigest(hex), size, existed });
  }

  /** GET and HEAD. */
  async get(ctx: CallContext, request: IncomingMessage, response: ServerResponse, digest: string) {
    const hex = hexOf(digest);
    const claims = await ctx.authorize({ role: 'download', digest: formatDigest(hex) });
    ctx.note({ digest: formatDigest(hex) });
    const info = await this.reads.stat(claims, hex, ctx.signal);
    const etag = `"${formatDigest(hex)}"`;
    const headers: Record<string, string | number> = {
      'accept-ranges': 'bytes',
      etag,
      // The bytes under a digest never change; the response is private because it needed a token.
      'cache-control': 'private, max-age=31536000, immutable',
      // Stored content is whatever a client uploaded: never let a browser render it as this origin's page.
      'content-type': info.mediaType ?? 'application/octet-stream',
      'content-disposition': contentDisposition(info.fileName ?? hex),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
    };
    if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) {
      response.writeHead(304, headers).end();
      return;
    }
    let range: ReturnType<typeof resolveRange>;
    try {
      range = resolveRange(request.headers.range, info.size);
    } catch (error) {
      response.setHeader('content-range', `bytes */${info.size}`);
      throw error;
    }
    const status = range ? 206 : 200;
    const offset = range?.offset ?? 0;
    const length = range?.length ?? info.size;
    if (range) headers['content-range'] = `bytes ${offset}-${offset + length - 1}/${info.size}`;
    headers['content-length'] = length;
    if (request.method === 'HEAD') {
      response.writeHead(status, headers).end();
      return;
    }
    const read = await this.reads.open(claims, { hex, size: info.size }, { offset, length }, ctx.signal);
    try {
      response.writeHead(status, headers);
      for await (const chunk of read.body) {
        ctx.sent(chunk.byteLength);
        if (!response.write(chunk)) await once(response, 'drain', { signal: ctx.signal });
      }
      response.end();
    } finally {
      read.release();
    }
  }
}

/** The hex of the `sha256:{hex}` path segment (percent-encoded or not); INVALID_ARGUMENT for anything else. */
export function hexOf(digest: string): string {
  const decoded = safeDecode(digest);
  const hex = decoded.startsWith('sha256:') ? decoded.slice('sha256:'.length) : undefined;
  if (hex === undefined || !isSha256Hex(hex)) {
    throw new CairnError(
      Code.InvalidArgument,
      `"${decoded.slice(0, 80)}" is not a blob digest; expected /v1/blobs/sha256:{64 lower-case hex characters}`,
      { details: { reason: 'bad_digest' } },
    );
  }
  return hex;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function contentLength(request: IncomingMessage): number {
  const header = request.headers['content-length'];
  if (header === undefined) {
    throw new CairnError(
      Code.InvalidArgument,
      'a blob PUT needs a Content-Length header with the blob size, so an oversize blob is refused before it is sent',
      { details: { reason: 'length_required' } },
    );
  }
  if (!/^(0|[1-9]\d*)$/.test(header) || !Number.isSafeInteger(Number(header))) {
    throw new CairnError(Code.InvalidArgument, 'Content-Length must be a non-negative decimal integer');
  }
  return Number(header);
}

function mediaTypeOf(request: IncomingMessage): string | undefined {
  const type = request.headers['content-type'];
  return type === undefined || /^application\/octet-stream\s*$/i.test(type) ? undefined : type;
}

async function* counted(request: IncomingMessage, ctx: CallContext): AsyncGenerator<Uint8Array> {
  for await (const chunk of request as AsyncIterable<Buffer>) {
    ctx.received(chunk.byteLength);
    yield chunk;
  }
}

function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
