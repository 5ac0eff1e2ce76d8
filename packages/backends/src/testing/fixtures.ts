import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { BlobRef } from '../core/provider.js';

/** A repository name no other test uses, so every test starts from an empty repository. */
export function freshRepository(purpose: string): string {
  return `cairn/${purpose}-${randomUUID().slice(0, 8)}`;
}

export function blobOf(bytes: Uint8Array): BlobRef {
  return { hex: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength };
}

export function randomBlob(size: number): { bytes: Buffer; blob: BlobRef } {
  const bytes = randomBytes(size);
  return { bytes, blob: blobOf(bytes) };
}

export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Yields `bytes` in pieces of `size`, as a client stream would. */
export async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

export const never = new AbortController().signal;
