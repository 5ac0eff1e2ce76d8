import type { BlobMeta, BlobRef } from '@cairn/backends';
import type { CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import { type BackendAccess, checkUploadSize } from './backend-access.js';
import type { UploadSession, UploadSessions } from './upload-sessions.js';

/** An upload's name: the blob it brings and the id that lets an interrupted Write resume. */
export interface UploadName extends BlobRef {
  readonly uuid: string;
  /** The canonical spelling (uuid in lower case), used as the key of a resumable upload. */
  readonly name: string;
}

/** One WriteRequest in domain terms. */
export interface WriteChunk {
  readonly offset: number;
  readonly data: Uint8Array;
  readonly finish: boolean;
}

export interface WriteOutcome {
  /** Bytes the CAS holds for this upload: the size when stored, else what it received so far. */
  readonly committedSize: number;
  readonly complete: boolean;
  /** The blob was stored already; nothing of this Write was kept. */
  readonly existed: boolean;
}

/**
 * ByteStream Write and QueryWriteStatus: uploads that can be interrupted and resumed. Nothing becomes
 * visible until every byte arrived and matched the digest (the BlobStore's rule). An interrupted Write is
 * continued by the next Write of the same name: from the session this process keeps for the resume
 * window, or, on a backend whose uploads any process can continue, from what is staged there, on
 * whichever replica that Write reaches (a filesystem folder the replicas share: every byte staged; a
 * cloud backend: up to the last checkpoint, its parts and the hash state after them).
 */
export class WriteBlob {
  constructor(
    private readonly access: BackendAccess,
    private readonly sessions: UploadSessions,
  ) {}

  async write(
    claims: CasClaims,
    name: UploadName,
    meta: BlobMeta,
    chunks: AsyncIterable<WriteChunk>,
    signal: AbortSignal,
  ): Promise<WriteOutcome> {
    checkUploadSize(claims, name.size);
    const key = sessionKey(claims, name.name);
    let session = this.sessions.get(key);
    if (session) {
      this.sessions.attach(session);
      let existed: boolean;
      try {
        existed = await session.backend.value.exists(name.hex, signal);
      } catch (error) {
        this.sessions.detach(session);
        throw error;
      }
      if (existed) {
        // Another upload stored the blob meanwhile: this one has nothing left to add.
        await this.sessions.end(session, true);
        return stored(name.size, true);
      }
    } else {
      const backend = await this.access.open(claims, signal);
      try {
        if (await backend.value.exists(name.hex, signal)) {
          backend.release();
          return stored(name.size, true);
        }
        session = await this.sessions.create(key, async () => ({
          upload: await backend.value.beginUpload(name, signal, meta, key),
          backend,
        }));
      } catch (error) {
        backend.release();
        throw error;
      }
    }
    return this.#feed(session, chunks);
  }

  async #feed(session: UploadSession, chunks: AsyncIterable<WriteChunk>): Promise<WriteOutcome> {
    const { upload } = session;
    try {
      for await (const chunk of chunks) {
        if (chunk.offset !== upload.received) {
          throw new CairnError(
            Code.InvalidArgument,
            `write_offset is ${chunk.offset} but the CAS holds ${upload.received} bytes of this upload; continue at write_offset ${upload.received}`,
            { details: { reason: 'write_offset_mismatch' } },
          );
        }
        await upload.write(chunk.data, session.signal);
        if (chunk.finish) {
          await upload.finish(session.signal);
          await this.sessions.end(session, false);
          return stored(upload.blob.size, false);
        }
      }
    } catch (error) {
      // A failed write or finish aborted the upload itself; anything else (a dropped stream, a bad offset)
      // leaves it resumable.
      if (upload.state === 'aborted') await this.sessions.end(session, true);
      else await this.#park(session);
      throw error;
    }
    // The client closed its side without finish_write: report progress and keep the upload for it.
    const committedSize = upload.received;
    await this.#park(session);
    return { committedSize, complete: false, existed: false };
  }

  /**
   * Keeps an interrupted upload for the next Write: staged for any replica, or in this process — also when
   * other replicas could continue it from its last checkpoint, as a suspend would give up what came after.
   */
  async #park(session: UploadSession): Promise<void> {
    if (!session.upload.resumable || session.upload.suspendLoses) return this.sessions.detach(session);
    try {
      await session.upload.suspend();
    } finally {
      await this.sessions.end(session, false);
    }
  }

  async status(claims: CasClaims, name: UploadName, signal: AbortSignal): Promise<WriteOutcome> {
    const key = sessionKey(claims, name.name);
    const session = this.sessions.get(key);
    const backend = session ? undefined : await this.access.open(claims, signal);
    try {
      const store = session?.backend.value ?? backend?.value;
      if (store && (await store.exists(name.hex, signal))) return stored(name.size, true);
      if (session) return { committedSize: session.upload.received, complete: false, existed: false };
      // Staged by this replica or another, alive or not: what the next Write continues from.
      const staged = store?.resumableUploads ? await store.stagedBytes(name, key, signal) : undefined;
      if (staged !== undefined) return { committedSize: staged, complete: false, existed: false };
    } finally {
      backend?.release();
    }
    throw new CairnError(
      Code.NotFound,
      'no upload of this name is in progress (it never started, or its resume window passed); start it again at write_offset 0',
      { details: { reason: 'upload_unknown' } },
    );
  }
}

/** Uploads are private to an organisation and backend, even when two clients pick the same uuid. */
function sessionKey(claims: CasClaims, canonicalName: string): string {
  const { org, backend } = claims;
  return JSON.stringify([org, backend.provider, backend.id, backend.location, canonicalName]);
}

function stored(size: number, existed: boolean): WriteOutcome {
  return { committedSize: size, complete: true, existed };
}
