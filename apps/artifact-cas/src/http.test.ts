import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@cairn/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobOf, bytesOf, startTestCas, type TestCas } from './testing/cas-harness.js';

let t: TestCas;
let upload: string;
let download: string;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', write: (line) => logLines.push(JSON.parse(line)) });
  t = await startTestCas({}, { logger });
  upload = await t.uploadToken();
  download = await t.downloadToken();
});

afterAll(async () => {
  await t.close();
});

const blobUrl = (bytes: Uint8Array, query = '') =>
  `${t.cas.httpUrl}/v1/blobs/${blobOf(bytes).digest}${query}`;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function put(bytes: Uint8Array, headers: Record<string, string> = {}, query = ''): Promise<Response> {
  return fetch(blobUrl(bytes, query), {
    method: 'PUT',
    body: bytes,
    headers: { ...auth(upload), ...headers },
  });
}

/** The JSON body of a CAS response: a blob receipt or an error. */
async function jsonOf(response: Response): Promise<{ code?: string; message?: string; existed?: boolean }> {
  return (await response.json()) as {
    code?: string;
    message?: string;
    existed?: boolean;
    details?: Record<string, string>;
  };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe('PUT /v1/blobs/sha256:{hex}', () => {
  it('stores a blob (201), then answers 200 for the same blob', async () => {
    const data = bytesOf(2 * 1024 * 1024 + 3, 31);
    const created = await put(data, { 'x-cairn-filename': 'build.log', 'content-type': 'text/plain' });
    expect(created.status).toBe(201);
    expect(await jsonOf(created)).toEqual({
      digest: blobOf(data).digest,
      size: data.byteLength,
      existed: false,
    });
    const again = await put(data);
    expect(again.status).toBe(200);
    expect((await jsonOf(again)).existed).toBe(true);
    const described = await t.grpc.describe(upload, blobOf(data).digest);
    expect(described.resource).toMatchObject({ fileName: 'build.log', mediaType: 'text/plain' });
  });

  it('takes the file name from ?filename= too', async () => {
    const data = bytesOf(10, 32);
    expect((await put(data, {}, '?filename=notes.txt')).status).toBe(201);
    expect((await t.grpc.describe(upload, blobOf(data).digest)).resource?.fileName).toBe('notes.txt');
  });

  it('refuses a body that does not hash to the digest (400) and stores nothing', async () => {
    const data = bytesOf(1000, 33);
    const before = await t.files();
    const response = await fetch(blobUrl(data), {
      method: 'PUT',
      body: bytesOf(1000, 34),
      headers: auth(upload),
    });
    expect(response.status).toBe(400);
    const body = await jsonOf(response);
    expect(body.code).toBe('INVALID_ARGUMENT');
    expect(body.message).toMatch(/nothing was stored/);
    expect(await t.files()).toEqual(before);
  });

  it('refuses an oversize blob by its Content-Length (413) and a missing length (411)', async () => {
    const small = await t.uploadToken({ max_bytes: 10 });
    const response = await fetch(blobUrl(bytesOf(11, 35)), {
      method: 'PUT',
      body: bytesOf(11, 35),
      headers: auth(small),
    });
    expect(response.status).toBe(413);
    expect(await jsonOf(response)).toEqual({
      code: 'RESOURCE_EXHAUSTED',
      message:
        '11 bytes is over the 10 bytes limit of this backend; raise it with `cairn cas-backend update NAME --max-bytes SIZE`',
      details: { reason: 'blob_too_large', size: '11', max_bytes: '10', backend_id: 'backend-1' },
    });

    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(blobUrl(bytesOf(5, 36)), { method: 'PUT', headers: auth(upload) }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(bytesOf(5, 36));
      req.end();
    });
    expect(chunked.status).toBe(411);
    expect(JSON.parse(chunked.body).message).toMatch(/Content-Length/);
  });

  it('a client that goes away mid-body leaves nothing visible', async () => {
    const data = bytesOf(4 * 1024 * 1024, 37);
    const before = await t.files();
    await new Promise<void>((resolve) => {
      const req = httpRequest(blobUrl(data), {
        method: 'PUT',
        headers: { ...auth(upload), 'content-length': String(data.byteLength) },
      });
      req.on('error', () => resolve());
      req.write(data.subarray(0, 1024 * 1024), () => setTimeout(() => req.destroy(), 50));
    });
    await until(async () => (await t.files()).join() === before.join(), 'the partial upload is gone');
    const missing = await t.grpc.findMissing(upload, [blobOf(data).digest]);
    expect(missing.missingDigests).toEqual([blobOf(data).digest]);
  });
});

describe('GET and HEAD /v1/blobs/sha256:{hex}', () => {
  const data = bytesOf(100_000, 38);

  beforeAll(async () => {
    await put(data, { 'x-cairn-filename': 'évidence.json', 'content-type': 'application/json' });
  });

  it('serves the whole blob with safe headers', async () => {
    const response = await fetch(blobUrl(data), { headers: auth(download) });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    expect(response.headers.get('content-length')).toBe('100000');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('etag')).toBe(`"${blobOf(data).digest}"`);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-disposition')).toContain("filename*=UTF-8''%C3%A9vidence.json");
  });

  it('serves ranges (206) and refuses unsatisfiable ones (416)', async () => {
    const part = await fetch(blobUrl(data), { headers: { ...auth(download), range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/100000');
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(10, 20))).toBe(true);
    const suffix = await fetch(blobUrl(data), { headers: { ...auth(download), range: 'bytes=-5' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(data.subarray(-5))).toBe(true);
    const beyond = await fetch(blobUrl(data), { headers: { ...auth(download), range: 'bytes=100000-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */100000');
    expect((await jsonOf(beyond)).code).toBe('OUT_OF_RANGE');
  });

  it('answers HEAD with the headers of a GET and no body', async () => {
    const response = await fetch(blobUrl(data), { method: 'HEAD', headers: auth(download) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('100000');
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('accepts a digest-bound token as ?t= but not an unbound one', async () => {
    const bound = await t.downloadToken({ digest: blobOf(data).digest });
    const ok = await fetch(blobUrl(data, `?t=${bound}`));
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(data)).toBe(true);
    const unbound = await fetch(blobUrl(data, `?t=${download}`));
    expect(unbound.status).toBe(403);
    expect((await jsonOf(unbound)).message).toMatch(/bound to the one blob/);
    const other = await fetch(blobUrl(bytesOf(5, 1), `?t=${bound}`));
    expect(other.status).toBe(403);
  });

  it('maps refusals to HTTP statuses with JSON bodies', async () => {
    const none = await fetch(blobUrl(data));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await jsonOf(none)).toMatchObject({
      code: 'UNAUTHENTICATED',
      message:
        'this call needs a CAS token, sent as "authorization: Bearer <token>"; the `cairn` command fetches one from the control plane itself, and `cairn cas-token create` prints one for other clients',
      details: { reason: 'token_missing' },
    });
    expect((await fetch(blobUrl(data), { headers: auth('garbage') })).status).toBe(401);
    expect((await fetch(blobUrl(data), { headers: auth(upload) })).status).toBe(403);
    const missing = await fetch(blobUrl(bytesOf(7, 39)), { headers: auth(download) });
    expect(missing.status).toBe(404);
    expect((await jsonOf(missing)).code).toBe('NOT_FOUND');
    const bad = await fetch(`${t.cas.httpUrl}/v1/blobs/sha256:ABC`, { headers: auth(download) });
    expect(bad.status).toBe(400);
    expect((await jsonOf(bad)).message).toMatch(/expected \/v1\/blobs\/sha256:/);
    const outside = await t.downloadToken({ backend: { id: 'x', provider: 'filesystem', location: '/srv' } });
    expect((await fetch(blobUrl(data), { headers: auth(outside) })).status).toBe(403);
    expect((await fetch(blobUrl(data), { method: 'DELETE', headers: auth(download) })).status).toBe(501);
  });

  it('answers a request target that is no URL with 400, not 500', async () => {
    // Node's HTTP parser lets an absolute-form target through that the URL parser refuses.
    const { hostname, port } = new URL(t.cas.httpUrl);
    const socket = connect(Number(port), hostname);
    socket.end('GET http://[/v1/blobs/x HTTP/1.1\r\nHost: cas\r\nConnection: close\r\n\r\n');
    let answer = '';
    for await (const chunk of socket) answer += chunk;
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('the request target is not a valid URL');
  });
});

describe('idle connections', () => {
  it("outlive node's own client's idle limit (5 s), so a kept-alive connection is closed by the client, never under it", async () => {
    const agent = new Agent({ keepAlive: true, timeout: 10_000 });
    const get = () =>
      new Promise<{ status: number | undefined; reused: boolean }>((resolve, reject) => {
        const request = httpRequest(`${t.cas.httpUrl}/healthz`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode, reused: request.reusedSocket }));
        });
        request.on('error', reject).end();
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });
      await sleep(5_500);
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});

describe('operations endpoints', () => {
  it('reports liveness, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${t.cas.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${t.cas.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'serving' });
    const metrics = await (await fetch(`${t.cas.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/cairn_cas_received_bytes_total\{transport="http"\} [1-9]/);
    expect(metrics).toMatch(/cairn_cas_sent_bytes_total\{transport="http"\} [1-9]/);
    expect(metrics).toMatch(
      /cairn_cas_calls_total\{transport="http",method="PUT \/v1\/blobs",code="OK"\} [1-9]/,
    );
    expect(metrics).toMatch(/cairn_cas_errors_total\{transport="http",code="UNAUTHENTICATED"\} [1-9]/);
    expect(metrics).toMatch(
      /cairn_cas_call_duration_seconds_bucket\{le="0.1",transport="http",method="GET \/v1\/blobs"\}/,
    );
    expect(metrics).toMatch(/cairn_cas_in_flight_calls\{transport="http"\} 0/);
    expect(metrics).toContain('cairn_cas_upload_sessions 0');
  });

  it('logs one JSON line per call with principal and code, and never a token', async () => {
    const calls = logLines.filter((line) => line.msg === 'call');
    expect(calls.length).toBeGreaterThan(10);
    expect(calls).toContainEqual(
      expect.objectContaining({
        transport: 'http',
        method: 'PUT /v1/blobs',
        code: 'OK',
        sub: 'user:ada',
        org: 'org-1',
        bytes_in: expect.any(Number),
        duration_ms: expect.any(Number),
      }),
    );
    expect(calls).toContainEqual(
      expect.objectContaining({ code: 'UNAUTHENTICATED', method: 'GET /v1/blobs' }),
    );
    const text = JSON.stringify(logLines);
    expect(text).not.toContain(upload);
    expect(text).not.toContain(download);
    expect(text).not.toContain(upload.split('.')[2]);
  });
});
