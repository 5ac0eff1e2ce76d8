import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import type { GrpcTestClient } from '@cairn/artifact-cas/testing';

export const MiB = 1024 * 1024;

/** A blob the test uploads: its bytes and how the CAS names it. */
export interface TestBlob {
  readonly bytes: Buffer;
  readonly hex: string;
  readonly digest: string;
  readonly size: number;
}

export function randomTestBlob(size: number): TestBlob {
  const bytes = randomBytes(size);
  const hex = createHash('sha256').update(bytes).digest('hex');
  return { bytes, hex, digest: `sha256:${hex}`, size };
}

/** How an upload ended: the client got committed_size / 201, or it did not. */
export type UploadOutcome = 'acknowledged' | 'interrupted';

/** An upload the client keeps open after sending part of the blob: `ended` settles when the call does. */
export interface OpenUpload {
  readonly blob: TestBlob;
  readonly via: 'grpc' | 'http';
  readonly ended: Promise<UploadOutcome>;
  /** Sends the rest and finishes the upload. */
  finish(): Promise<UploadOutcome>;
}

/** A gRPC Write that sends the first `sent` bytes in 1 MiB messages, then waits. */
export async function openGrpcWrite(
  grpc: GrpcTestClient,
  token: string,
  blob: TestBlob,
  sent: number,
): Promise<OpenUpload> {
  const write = grpc.startWrite(token);
  const name = `uploads/${randomUUID()}/blobs/${blob.hex}/${blob.size}`;
  const ended = write.response.then(
    (committed): UploadOutcome => (committed === BigInt(blob.size) ? 'acknowledged' : 'interrupted'),
    (): UploadOutcome => 'interrupted',
  );
  let offset = 0;
  const sendUpTo = async (end: number, finish: boolean) => {
    while (offset < end) {
      const piece = blob.bytes.subarray(offset, Math.min(end, offset + MiB));
      const last = offset + piece.byteLength === end;
      await write.send({
        resourceName: offset === 0 ? name : '',
        writeOffset: offset,
        data: piece,
        finishWrite: finish && last,
      });
      offset += piece.byteLength;
    }
  };
  await sendUpTo(sent, false);
  return {
    blob,
    via: 'grpc',
    ended,
    finish: async () => {
      await sendUpTo(blob.size, true);
      write.end();
      return ended;
    },
  };
}

/** An HTTP PUT with the whole size declared that sends the first `sent` bytes, then waits. */
export async function openHttpPut(
  httpUrl: string,
  token: string,
  blob: TestBlob,
  sent: number,
): Promise<OpenUpload> {
  const put = request(`${httpUrl}/v1/blobs/${blob.digest}`, {
    // A connection of its own: the held PUT must fail only by the kill. (A kept-alive connection the CAS
    // closed after 5 s idle, before http.keepAliveTimeoutMs, killed it with EPIPE in three CI runs.)
    agent: false,
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-length': String(blob.size),
      'content-type': 'application/octet-stream',
    },
  });
  // What the CAS answered, if it answered while the body was still being sent (an error, then).
  let early: string | undefined;
  const ended = new Promise<UploadOutcome>((resolve) => {
    put.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        if (body.length < 2_000) body += text;
      });
      response.on('end', () => {
        if (offset < blob.size) early = `${response.statusCode} ${body.trim()}`;
        resolve(response.statusCode === 201 ? 'acknowledged' : 'interrupted');
      });
    });
    put.on('error', (error) => {
      early ??= error.message;
      resolve('interrupted');
    });
  });
  let offset = 0;
  const sendUpTo = async (end: number) => {
    while (offset < end) {
      const piece = blob.bytes.subarray(offset, Math.min(end, offset + MiB));
      offset += piece.byteLength;
      if (put.destroyed) return;
      // A CAS that answered without reading the rest never drains the socket: stop waiting then.
      if (!put.write(piece)) await Promise.race([once(put, 'drain').catch(() => undefined), ended]);
      if (early !== undefined) return;
    }
  };
  await sendUpTo(sent);
  if (early !== undefined && sent > 0) {
    throw new Error(`the CAS ended the PUT of ${blob.digest} after ${offset} of ${sent} bytes: ${early}`);
  }
  return {
    blob,
    via: 'http',
    ended,
    finish: async () => {
      await sendUpTo(blob.size);
      put.end();
      return ended;
    },
  };
}

/** A whole upload, gRPC or HTTP; resolves whether the client got its acknowledgement. */
export async function uploadWhole(
  via: 'grpc' | 'http',
  target: { grpc: GrpcTestClient; httpUrl: string },
  token: string,
  blob: TestBlob,
): Promise<UploadOutcome> {
  const open =
    via === 'grpc'
      ? await openGrpcWrite(target.grpc, token, blob, 0)
      : await openHttpPut(target.httpUrl, token, blob, 0);
  return open.finish();
}
