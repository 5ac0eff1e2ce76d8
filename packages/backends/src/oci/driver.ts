import { randomUUID } from 'node:crypto';
import { formatDigest, sha256Hex } from '@cairn/digest';
import { CairnError, Code, isAbortError } from '@cairn/errors';
import type {
  BlobInfo,
  BlobMeta,
  BlobRef,
  ByteRange,
  Driver,
  DriverConfig,
  ResumableStaging,
  ResumedStage,
  StagedBlob,
  SweepReport,
} from '../core/provider.js';
import type { ResumableSha256, ResumableSha256Factory } from '../core/resumable-sha256.js';
import { checkpointTag, resumeFrom, type SessionCheckpoint } from './checkpoint-manifest.js';
import { OciClient } from './client.js';
import type { OciCredentials } from './credentials.js';
import { transportError } from './errors.js';
import { parseOciLocation } from './location.js';
import {
  EMPTY_CONFIG,
  evidenceManifest,
  evidenceTag,
  OCI_IMAGE_MANIFEST,
  parseEvidenceManifest,
} from './manifest.js';
import { type CheckpointStart, SessionCheckpointLog } from './session-checkpoint-log.js';
import { SessionCheckpoints } from './session-checkpoints.js';
import { SessionJournal, sweepJournaledSessions } from './session-journal.js';
import { OciStagedBlob, type OciUploadTarget } from './staged-upload.js';

/** Bytes gathered per PATCH; two chunks at most are held per upload. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

export interface OciDriverOptions {
  readonly chunkSize?: number;
  /**
   * With it, an upload of several chunks keeps a checkpoint in the repository, so any process can continue
   * its session (`Driver.resumable`); the provider passes it where this process can have one.
   */
  readonly resumableSha256?: ResumableSha256Factory;
}

export function createOciDriver(
  config: DriverConfig<OciCredentials>,
  options: OciDriverOptions = {},
): Driver {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new CairnError(Code.InvalidArgument, `chunk size ${chunkSize} must be a positive integer`);
  }
  const location = parseOciLocation(config.location);
  const journal =
    config.journalDir === undefined ? undefined : new SessionJournal(config.journalDir, location.canonical);
  return new OciDriver(
    new OciClient(location, config.credentials),
    chunkSize,
    journal,
    options.resumableSha256,
  );
}

/** A checkpoint found for an upload, its manifest's digest, and whether its session can be continued. */
interface FoundCheckpoint {
  readonly checkpoint: SessionCheckpoint;
  readonly digest: string;
  /** Set when the registry still holds the session at the checkpoint's offset, under this Location. */
  readonly live?: { readonly location: string; readonly hash: ResumableSha256 };
}

/**
 * A repository of an OCI registry as a Cairn backend. Each blob is a layer of its own artifact manifest,
 * tagged by the blob's digest (see manifest.ts); the tag is what `stat` looks for, so a blob is stored
 * only once its manifest is pushed, after the verified upload closed.
 */
class OciDriver implements Driver {
  #emptyConfig: Promise<void> | undefined;
  readonly #checkpoints: SessionCheckpoints;
  declare readonly resumable?: ResumableStaging;

  constructor(
    private readonly client: OciClient,
    private readonly chunkSize: number,
    private readonly journal: SessionJournal | undefined,
    sha: ResumableSha256Factory | undefined,
  ) {
    this.#checkpoints = new SessionCheckpoints(client, this.#ensureEmptyConfig);
    if (sha) this.resumable = this.#resumableStaging(sha);
  }

  stage(blob: BlobRef, meta: BlobMeta, signal: AbortSignal): Promise<StagedBlob> {
    return OciStagedBlob.open(this.#target(blob, meta), signal);
  }

  #target(blob: BlobRef, meta: BlobMeta): OciUploadTarget {
    return {
      client: this.client,
      blob,
      meta,
      chunkSize: this.chunkSize,
      ensureEmptyConfig: this.#ensureEmptyConfig,
      journal: this.journal,
    };
  }

  /**
   * Uploads of several chunks continue in any process: from the checkpoint under the upload's tag, when
   * the registry still holds its session where the checkpoint says. A blob of one chunk is PATCHed whole
   * at once, so there is nothing to continue; it starts again elsewhere. So does every upload once the
   * registry refused to delete a checkpoint (see `SessionCheckpoints`).
   */
  #resumableStaging(sha: ResumableSha256Factory): ResumableStaging {
    return {
      open: async (blob, meta, key, signal): Promise<ResumedStage> => {
        if (!this.#keepsCheckpoints(blob)) return { staged: await this.stage(blob, meta, signal), size: 0 };
        const tag = checkpointTag(key);
        const found = await this.#findCheckpoint(tag, blob, sha, signal);
        // A checkpoint that cannot be continued is replaced by this upload's first save, and deleted.
        const start: CheckpointStart = found?.live
          ? { continues: found.checkpoint, digest: found.digest }
          : found && { replaces: found.digest };
        const log = new SessionCheckpointLog(this.#checkpoints, tag, blob, this.chunkSize, start);
        const at = found?.live && { location: found.live.location, offset: found.checkpoint.offset };
        const staged = await OciStagedBlob.openCheckpointed(this.#target(blob, meta), log, at, signal);
        return { staged, size: at?.offset ?? 0, before: { hash: found?.live?.hash ?? sha.create() } };
      },
      size: async (blob, key, signal) => {
        if (!this.#keepsCheckpoints(blob)) return undefined;
        const found = await this.#findCheckpoint(checkpointTag(key), blob, sha, signal);
        return found?.live ? found.checkpoint.offset : undefined;
      },
    };
  }

  /** A blob of one chunk is PATCHed whole at once; a registry refusing deletes gets no checkpoints. */
  #keepsCheckpoints(blob: BlobRef): boolean {
    return blob.size > this.chunkSize && this.#checkpoints.deletesAllowed;
  }

  /**
   * The checkpoint under `tag`, and whether the registry still holds its session where it says. A
   * registry that cannot be reached fails the call (the client tries again); one that refuses the lookup
   * only means no checkpoint, and the upload starts again.
   */
  async #findCheckpoint(
    tag: string,
    blob: BlobRef,
    sha: ResumableSha256Factory,
    signal: AbortSignal,
  ): Promise<FoundCheckpoint | undefined> {
    const refused = (error: unknown): boolean => {
      const passing = [Code.Unavailable, Code.DeadlineExceeded, Code.Canceled];
      return !signal.aborted && error instanceof CairnError && !passing.includes(error.code);
    };
    let found: Awaited<ReturnType<SessionCheckpoints['read']>>;
    try {
      found = await this.#checkpoints.read(tag, signal);
    } catch (error) {
      if (refused(error)) return undefined;
      throw error;
    }
    if (found === undefined) return undefined;
    const { checkpoint } = found;
    const hash = resumeFrom(checkpoint, blob, this.chunkSize, sha);
    if (hash === undefined) return found;
    let status: Awaited<ReturnType<OciClient['uploadStatus']>>;
    try {
      status = await this.client.uploadStatus(checkpoint.location, signal);
    } catch (error) {
      // Its session cannot be asked about: as good as dead, and replaced by this upload's first save.
      if (refused(error)) return found;
      throw error;
    }
    if (status?.size !== checkpoint.offset) return found;
    return { ...found, live: { location: status.location, hash } };
  }

  async read(hex: string, range: ByteRange, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const { offset, length } = range;
    if (length === 0) {
      if (!(await this.client.blobExists(hex, signal))) throw this.#notFound(hex);
      return (async function* () {})();
    }
    const wanted =
      offset === 0 && length === undefined
        ? undefined
        : `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
    let response: Response;
    try {
      response = await this.client.getBlob(hex, wanted, signal);
    } catch (error) {
      throw error instanceof CairnError && error.code === Code.NotFound ? this.#notFound(hex) : error;
    }
    if (response.status === 206) {
      const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (Number(start) !== offset) {
        await response.body?.cancel();
        throw new CairnError(
          Code.Unavailable,
          `registry ${this.client.location.host} answered a range read of sha256:${hex} with the wrong bytes; retry later`,
        );
      }
      return this.#body(response, 0, length, signal);
    }
    // A registry may ignore Range and send everything: skip and cut here.
    return this.#body(response, offset, length, signal);
  }

  async stat(hex: string, signal: AbortSignal): Promise<BlobInfo | undefined> {
    const manifest = await this.client.getManifest(evidenceTag(hex), OCI_IMAGE_MANIFEST, signal);
    if (!manifest) return undefined;
    const { host, repository } = this.client.location;
    return parseEvidenceManifest(manifest.bytes, hex, `${host}/${repository}`);
  }

  /** Pushes an untagged probe artifact, reads it back and deletes it; nothing becomes visible. */
  async checkWriteAccess(signal: AbortSignal): Promise<void> {
    const probe = new TextEncoder().encode(`cairn write probe ${randomUUID()}\n`);
    const hex = sha256Hex(probe);
    // Cleanups run newest first; after a failure they are silent, so they never hide its cause.
    const cleanups: Array<() => Promise<unknown>> = [() => this.client.deleteBlob(hex, signal)];
    try {
      await this.client.pushSmallBlob(probe, hex, signal);
      await this.#ensureEmptyConfig(signal);
      const manifest = evidenceManifest(hex, probe.byteLength, { fileName: 'cairn-write-probe.txt' });
      const reference = formatDigest(sha256Hex(manifest));
      await this.client.putManifest(reference, OCI_IMAGE_MANIFEST, manifest, signal);
      cleanups.unshift(() => this.client.deleteManifest(reference, signal));
      await this.#expectReadBack(reference, hex, probe, signal);
    } catch (error) {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      throw error;
    }
    for (const cleanup of cleanups) await tolerateForbiddenDelete(cleanup);
  }

  /**
   * Cancels the upload sessions a crash left, as the journal noted them, once idle longer than
   * `olderThanMs`. Without a journal there is nothing to find: the registry lists no sessions.
   */
  async sweepLeftovers(olderThanMs: number, signal: AbortSignal): Promise<SweepReport> {
    if (this.journal === undefined) return { removed: 0, left: 0 };
    return sweepJournaledSessions(this.client, this.#checkpoints, this.journal, olderThanMs, signal);
  }

  async close(): Promise<void> {
    // fetch pools connections process-wide; there is nothing of this driver's own to release.
  }

  /** The config blob every evidence manifest names, pushed once per repository. */
  #ensureEmptyConfig = (signal: AbortSignal): Promise<void> => {
    this.#emptyConfig ??= (async () => {
      if (await this.client.blobExists(EMPTY_CONFIG.hex, signal)) return;
      await this.client.pushSmallBlob(EMPTY_CONFIG.bytes, EMPTY_CONFIG.hex, signal);
    })().catch((error: unknown) => {
      this.#emptyConfig = undefined;
      throw error;
    });
    return this.#emptyConfig;
  };

  async #expectReadBack(
    reference: string,
    hex: string,
    probe: Uint8Array,
    signal: AbortSignal,
  ): Promise<void> {
    const { host, repository } = this.client.location;
    const manifest = await this.client.getManifest(reference, OCI_IMAGE_MANIFEST, signal);
    const chunks: Uint8Array[] = [];
    for await (const chunk of await this.read(hex, { offset: 0 }, signal)) chunks.push(chunk);
    if (!manifest || !Buffer.concat(chunks).equals(probe)) {
      throw new CairnError(
        Code.FailedPrecondition,
        `registry ${host} accepted a probe in ${repository} but did not return it; check the registry's storage`,
      );
    }
  }

  async *#body(
    response: Response,
    skip: number,
    limit: number | undefined,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array> {
    if (!response.body) return;
    let toSkip = skip;
    let left = limit ?? Number.POSITIVE_INFINITY;
    try {
      for await (const received of response.body) {
        let chunk: Uint8Array = received;
        if (toSkip > 0) {
          if (chunk.byteLength <= toSkip) {
            toSkip -= chunk.byteLength;
            continue;
          }
          chunk = chunk.subarray(toSkip);
          toSkip = 0;
        }
        if (chunk.byteLength > left) chunk = chunk.subarray(0, left);
        left -= chunk.byteLength;
        if (chunk.byteLength > 0) yield chunk;
        if (left <= 0) break;
      }
    } catch (error) {
      if (signal.aborted || isAbortError(error)) throw CairnError.from(error);
      throw transportError(error, this.client.location.host);
    }
  }

  #notFound(hex: string): CairnError {
    const { host, repository } = this.client.location;
    return new CairnError(
      Code.NotFound,
      `blob sha256:${hex} is not stored in ${host}/${repository}; upload it first`,
    );
  }
}

/** A registry may forbid deletes (405) or this account may lack the right; the probe stays, untagged. */
async function tolerateForbiddenDelete(remove: () => Promise<unknown>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (
      error instanceof CairnError &&
      (error.code === Code.Unimplemented || error.code === Code.PermissionDenied)
    ) {
      return;
    }
    throw error;
  }
}
