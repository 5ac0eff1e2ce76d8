import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Agent, type IncomingMessage, request } from 'node:http';
import { Writable } from 'node:stream';
import { type CasClient, createCasClient } from '@cairn/cas-client';
import type { SeededBlob } from './seeded-blob.js';

export type Transport = 'grpc' | 'http';

/** A blob the load has stored: what it is and the digest the load computed for it. */
export interface StoredBlob {
  readonly blob: SeededBlob;
  readonly hex: string;
}

/** A transfer that ended wrong: what was expected against what came. */
export class TransferCheckFailed extends Error {
  override readonly name = 'TransferCheckFailed';
}

/**
 * The two ways a client reaches the CAS — gRPC through @cairn/cas-client (what the CLI uses) and the HTTP
 * blob endpoints through node's own client — with one token per role minted for the whole run. Nothing
 * is retried: a transfer that fails once is an error of the run.
 */
export class LoadClients {
  readonly #uploads: CasClient;
  readonly #downloads: CasClient;
  /**
   * Connections are kept for the next transfer, but dropped after 1 s idle, long before the CAS closes them
   * (http.keepAliveTimeoutMs, 65 s): a request sent on one as it closes would fail through no fault of the
   * CAS (a client resends such a request; this one would count it as an error).
   */
  readonly #agent = new Agent({ keepAlive: true, timeout: 1_000 });

  /** The two gRPC clients (one token each) share their connections: grpc-js pools them per target. */
  constructor(
    grpcAddress: string,
    private readonly httpUrl: string,
    private readonly tokens: { readonly upload: string; readonly download: string },
  ) {
    const client = (token: string) =>
      createCasClient({ address: grpcAddress, token, retry: { maxAttempts: 1 } });
    this.#uploads = client(tokens.upload);
    this.#downloads = client(tokens.download);
  }

  /**
   * Uploads `stored.blob` (its bytes generated as they are sent) and checks the CAS's answer: stored
   * anew (never "existed": every blob of a run is new), under the digest and size the load computed.
   */
  async upload(via: Transport, stored: StoredBlob, signal: AbortSignal): Promise<void> {
    const { blob, hex } = stored;
    const digest = `sha256:${hex}`;
    let answer: { digest: string; size: number; existed: boolean };
    if (via === 'grpc') {
      answer = await this.#uploads.upload(
        {
          digest,
          size: blob.size,
          data: async function* (offset: number) {
            yield* blob.pieces(offset);
          },
        },
        { signal, fileName: `load-${blob.number}.bin` },
      );
    } else {
      answer = await this.#put(blob, digest, signal);
    }
    if (answer.digest !== digest || answer.size !== blob.size || answer.existed) {
      throw new TransferCheckFailed(
        `upload of blob ${blob.number} (${digest}, ${blob.size} bytes) was answered ${JSON.stringify(answer)}`,
      );
    }
  }

  /**
   * Downloads a stored blob and hashes every byte that arrives, here and independently of the client
   * library's own check: the count and the sha256 must be the ones the load computed from its seed.
   */
  async download(via: Transport, stored: StoredBlob, signal: AbortSignal): Promise<void> {
    const { blob, hex } = stored;
    const digest = `sha256:${hex}`;
    const hash = createHash('sha256');
    let bytes = 0;
    if (via === 'grpc') {
      const sink = new Writable({
        highWaterMark: 4 * 1024 * 1024,
        write(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          bytes += chunk.byteLength;
          callback();
        },
      });
      await this.#downloads.download(digest, sink, { signal });
    } else {
      const response = await this.#get(digest, signal);
      for await (const chunk of response) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).byteLength;
      }
      if (!response.complete) throw new TransferCheckFailed(`GET of ${digest} ended before its last byte`);
    }
    const actual = hash.digest('hex');
    if (bytes !== blob.size || actual !== hex) {
      throw new TransferCheckFailed(
        `download of blob ${blob.number} (${digest}, ${blob.size} bytes) delivered ${bytes} bytes hashing to sha256:${actual}`,
      );
    }
  }

  close(): void {
    this.#uploads.close();
    this.#downloads.close();
    this.#agent.destroy();
  }

  async #put(
    blob: SeededBlob,
    digest: string,
    signal: AbortSignal,
  ): Promise<{ digest: string; size: number; existed: boolean }> {
    const put = request(`${this.httpUrl}/v1/blobs/${digest}`, {
      method: 'PUT',
      agent: this.#agent,
      signal,
      headers: {
        authorization: `Bearer ${this.tokens.upload}`,
        'content-length': String(blob.size),
        'content-type': 'application/octet-stream',
      },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      put.once('response', resolve);
      put.once('error', (error) => reject(connectionError(error, put.reusedSocket)));
    });
    // Until the answer comes, a failed write surfaces through `response`.
    response.catch(() => {});
    for (const piece of blob.pieces()) {
      if (put.destroyed) break;
      if (!put.write(piece)) await Promise.race([once(put, 'drain'), response]).catch(() => {});
    }
    put.end();
    const answer = await response;
    const body = await readText(answer);
    if (answer.statusCode !== 201 && answer.statusCode !== 200) {
      throw new TransferCheckFailed(`PUT of ${digest} answered ${answer.statusCode}: ${body}`);
    }
    return JSON.parse(body) as { digest: string; size: number; existed: boolean };
  }

  async #get(digest: string, signal: AbortSignal): Promise<IncomingMessage> {
    const get = request(`${this.httpUrl}/v1/blobs/${digest}`, {
      agent: this.#agent,
      signal,
      headers: { authorization: `Bearer ${this.tokens.download}` },
    });
    get.end();
    const [response] = (await once(get, 'response').catch((error: unknown) => {
      throw connectionError(error, get.reusedSocket);
    })) as [IncomingMessage];
    if (response.statusCode !== 200) {
      throw new TransferCheckFailed(
        `GET of ${digest} answered ${response.statusCode}: ${await readText(response)}`,
      );
    }
    return response;
  }
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A request's failure, saying whether it went out on a connection an earlier transfer had used. */
function connectionError(error: unknown, reused: boolean): Error {
  const cause = error instanceof Error ? error : new Error(String(error));
  const code = (cause as { code?: unknown }).code;
  return new Error(
    `${cause.message}${typeof code === 'string' ? ` (${code})` : ''} on a ${reused ? 'reused' : 'new'} connection`,
    { cause },
  );
}
