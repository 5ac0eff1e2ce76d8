import { Writable } from 'node:stream';
import { createCasClient } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import type { CasBlobTransfer } from './ports.js';

const BUNDLE_MEDIA_TYPE = 'application/json';

/**
 * Whole-blob transfers with the artifact CAS over gRPC, for attestation bundles. One attempt per call:
 * the caller (CasBundleStore) owns retries and deadlines, and mints a fresh token for each attempt.
 */
export function grpcCasBlobTransfer(casGrpcAddress: () => string): CasBlobTransfer {
  const clientFor = (token: string) => {
    const address = casGrpcAddress();
    if (!address) {
      throw new CairnError(
        Code.FailedPrecondition,
        'the control plane has no CAS address (cas.grpcAddress) to store bundles with; configure it',
      );
    }
    return createCasClient({ address, token, retry: { maxAttempts: 1 } });
  };
  return {
    async upload(blob, token, signal) {
      const client = clientFor(token);
      try {
        await client.upload(
          {
            digest: blob.digest,
            size: blob.bytes.byteLength,
            data: async function* (offset: number) {
              yield blob.bytes.subarray(offset);
            },
          },
          { signal, mediaType: BUNDLE_MEDIA_TYPE, fileName: 'attestation.json' },
        );
      } finally {
        client.close();
      }
    },

    async download(blob, token, signal) {
      const client = clientFor(token);
      const sink = new BoundedSink(blob.size);
      try {
        await client.download(blob.digest, sink, { signal });
        return sink.bytes();
      } finally {
        client.close();
      }
    },
  };
}

/**
 * Collects a download in memory up to the size the database recorded; anything beyond is dropped and
 * reported after the download (failing inside `_write` would surface as an unhandled stream error).
 */
class BoundedSink extends Writable {
  readonly #chunks: Buffer[] = [];
  #length = 0;
  #overflow = false;

  constructor(private readonly limit: number) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    if (this.#length + chunk.length > this.limit) this.#overflow = true;
    else {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
    callback();
  }

  bytes(): Uint8Array {
    if (this.#overflow) {
      throw new CairnError(
        Code.DataLoss,
        `the CAS sent more than the ${this.limit} bytes recorded for the blob`,
      );
    }
    const joined = Buffer.concat(this.#chunks, this.#length);
    return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength);
  }
}
