import { CairnError, Code } from '@cairn/errors';
import pRetry from 'p-retry';
import { type RegistryAction, RegistryAuthenticator } from './auth.js';
import type { OciCredentials } from './credentials.js';
import { type RequestContext, registryError, transportError } from './errors.js';
import type { OciLocation } from './location.js';

/** The OCI distribution spec caps manifests at 4 MiB; a larger answer is not one of ours. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/**
 * Repeats of a request whose refusal is `transient`, and the pauses before them: 50, 200 and 600 ms (50 ms,
 * four times longer each time, at most 600), under a second in all: long enough for distribution 2.8 to
 * finish rewriting a link file (see serverFailure), short enough that a real failure is reported soon.
 */
const TRANSIENT_REPEATS = { retries: 3, minTimeout: 50, factor: 4, maxTimeout: 600 } as const;

const REDIRECTS = [301, 302, 303, 307, 308];

interface RequestOptions {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Absolute URL (an upload `Location`) or a path below `/v2/<repository>/`. */
  readonly target: string;
  readonly action: RegistryAction;
  readonly what: string;
  /** Statuses handed back to the caller; any other status becomes a CairnError. */
  readonly ok: readonly number[];
  readonly headers?: Record<string, string>;
  /** Always a replayable buffer, so a request can be repeated after an auth challenge. */
  readonly body?: Uint8Array | string;
  readonly signal: AbortSignal;
  /** Which refusals are worth repeating the same request for; set only where repeating is safe. */
  readonly transient?: (error: CairnError) => boolean;
  /** `manual` hands a redirect back as it is (list its status in `ok`) instead of following it. */
  readonly redirect?: 'follow' | 'manual';
}

/**
 * A small client of the OCI distribution API for one repository, on Node's `fetch`. Every request
 * carries the caller's AbortSignal, answers one auth challenge and retries once, and maps failures to
 * CairnErrors that name the registry but never a credential. Reads and manifest pushes, which are safe to
 * repeat, are repeated a few times within a second when the registry fails them in passing.
 */
export class OciClient {
  readonly #auth: RegistryAuthenticator;

  constructor(
    readonly location: OciLocation,
    credentials: OciCredentials,
  ) {
    this.#auth = new RegistryAuthenticator(location.origin, location.repository, credentials);
  }

  /**
   * Opens an upload session; resolves the session's `Location`. Repeated on a 5xx like the reads: a
   * session the registry opened before failing is never used, and its own purge removes it.
   */
  async startUpload(signal: AbortSignal): Promise<string> {
    const response = await this.#request({
      method: 'POST',
      target: 'blobs/uploads/',
      action: 'push',
      what: 'start a blob upload',
      ok: [202],
      signal,
      transient: serverFailure,
    });
    await discard(response);
    return this.#nextLocation(response);
  }

  /**
   * Appends `chunk` at `start` and checks the registry's `Range` now ends where ours does: some
   * registries (distribution 2.8) ignore `Content-Range` and would append a misplaced chunk silently.
   */
  async appendToUpload(
    location: string,
    chunk: Uint8Array,
    start: number,
    signal: AbortSignal,
  ): Promise<string> {
    const end = start + chunk.byteLength - 1;
    const response = await this.#request({
      method: 'PATCH',
      target: location,
      action: 'push',
      what: 'upload a chunk',
      ok: [202],
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${start}-${end}` },
      body: chunk,
      signal,
    });
    await discard(response);
    const next = this.#nextLocation(response);
    const range = response.headers.get('range');
    if (range?.replace(/^bytes=/, '') !== `0-${end}`) {
      throw new UploadRangeError(
        `registry ${this.location.host} reports upload range "${range ?? '(none)'}" after a chunk ending at byte ${end}; the upload was abandoned, upload the blob again`,
        next,
      );
    }
    return next;
  }

  /**
   * Closes the session; the registry checks `hex` itself. `last` may carry final bytes, but a failed PUT
   * with a body leaves distribution 2.8's session at an offset no Location names, so it cannot be
   * cancelled: uploads that may need cancelling send every byte by PATCH and an empty PUT.
   */
  async finishUpload(location: string, hex: string, last: Uint8Array, signal: AbortSignal): Promise<void> {
    const response = await this.#request({
      method: 'PUT',
      target: withQuery(location, `digest=sha256:${hex}`),
      action: 'push',
      what: 'finish a blob upload',
      ok: [201],
      headers: { 'content-type': 'application/octet-stream' },
      body: last,
      signal,
    });
    await discard(response);
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== `sha256:${hex}`) {
      throw new CairnError(
        Code.DataLoss,
        `registry ${this.location.host} stored the upload as ${stored}, not sha256:${hex}; the blob was not committed`,
      );
    }
  }

  /**
   * Where an upload session stands, asked with its newest `Location`: the bytes the registry holds and
   * the Location to continue at; undefined when no session answers to that Location (it is gone, or it
   * moved past it: distribution 2.8 answers an older Location BLOB_UPLOAD_INVALID, 404).
   */
  async uploadStatus(
    location: string,
    signal: AbortSignal,
  ): Promise<{ size: number; location: string } | undefined> {
    const response = await this.#request({
      method: 'GET',
      target: location,
      action: 'push',
      what: 'read where a blob upload stands',
      // The Location may come from a checkpoint anyone with push access could have written: a redirect
      // away from it is not followed, and the session counts as one nobody can continue.
      ok: [204, 400, 404, ...REDIRECTS],
      redirect: 'manual',
      signal,
      transient: serverFailure,
    });
    await discard(response);
    if (response.status !== 204) return undefined;
    const end = /^(?:bytes=)?0-(\d+)$/.exec(response.headers.get('range') ?? '')?.[1];
    if (end === undefined) return undefined;
    return { size: Number(end) + 1, location: this.#nextLocation(response) };
  }

  /** Cancels an upload session; one that is already gone is fine. */
  async cancelUpload(location: string, signal: AbortSignal): Promise<void> {
    const response = await this.#request({
      method: 'DELETE',
      target: location,
      action: 'push',
      what: 'cancel a blob upload',
      ok: [202, 204, 404],
      signal,
    });
    await discard(response);
  }

  /**
   * Cancels a session a crash left, given the newest `Location` noted for it: `cancelled`, `gone` (the
   * registry holds no such session), or `unaddressable`: the session moved past that Location —
   * distribution 2.8 keeps the bytes of a PATCH the crash cut — and answers BLOB_UPLOAD_INVALID, closing
   * the session without removing it (checked against 2.8.2). Only the registry's own purge removes those.
   */
  async cancelAbandonedUpload(
    location: string,
    signal: AbortSignal,
  ): Promise<'cancelled' | 'gone' | 'unaddressable'> {
    const response = await this.#request({
      method: 'DELETE',
      target: location,
      action: 'push',
      what: 'cancel an abandoned blob upload',
      ok: [202, 204, 400, 404],
      signal,
    });
    if (response.status === 202 || response.status === 204) {
      await discard(response);
      return 'cancelled';
    }
    const body = await response.text().catch(() => '');
    return body.includes('BLOB_UPLOAD_INVALID') ? 'unaddressable' : 'gone';
  }

  /** Stores a small blob in one session (POST, then PUT with the bytes). */
  async pushSmallBlob(bytes: Uint8Array, hex: string, signal: AbortSignal): Promise<void> {
    const location = await this.startUpload(signal);
    try {
      await this.finishUpload(location, hex, bytes, signal);
    } catch (error) {
      await this.cancelUpload(location, AbortSignal.timeout(10_000)).catch(() => undefined);
      throw error;
    }
  }

  async blobExists(hex: string, signal: AbortSignal): Promise<boolean> {
    const response = await this.#request({
      method: 'HEAD',
      target: `blobs/sha256:${hex}`,
      action: 'pull',
      what: `check blob sha256:${hex}`,
      ok: [200, 404],
      signal,
      transient: serverFailure,
    });
    await discard(response);
    return response.status === 200;
  }

  /** GETs a blob; `range` is an HTTP Range value or undefined for all of it. Resolves 200 or 206. */
  async getBlob(hex: string, range: string | undefined, signal: AbortSignal): Promise<Response> {
    return this.#request({
      method: 'GET',
      target: `blobs/sha256:${hex}`,
      action: 'pull',
      what: `read blob sha256:${hex}`,
      ok: [200, 206],
      headers: range === undefined ? {} : { range },
      signal,
      transient: serverFailure,
    });
  }

  async deleteBlob(hex: string, signal: AbortSignal): Promise<void> {
    const response = await this.#request({
      method: 'DELETE',
      target: `blobs/sha256:${hex}`,
      action: 'delete',
      what: `delete blob sha256:${hex}`,
      ok: [202, 204, 404],
      signal,
    });
    await discard(response);
  }

  /** PUTs a manifest under a tag or digest; resolves the digest the registry computed. */
  async putManifest(
    reference: string,
    mediaType: string,
    bytes: Uint8Array,
    signal: AbortSignal,
  ): Promise<string> {
    const response = await this.#request({
      method: 'PUT',
      target: `manifests/${reference}`,
      action: 'push',
      what: `push manifest ${reference}`,
      ok: [201],
      headers: { 'content-type': mediaType },
      body: bytes,
      signal,
      transient: tornManifestCheck,
    });
    await discard(response);
    return response.headers.get('docker-content-digest') ?? '';
  }

  /** The manifest under a tag or digest, or undefined when there is none (or no such repository yet). */
  async getManifest(
    reference: string,
    accept: string,
    signal: AbortSignal,
  ): Promise<{ bytes: Uint8Array; mediaType: string } | undefined> {
    const response = await this.#request({
      method: 'GET',
      target: `manifests/${reference}`,
      action: 'pull',
      what: `read manifest ${reference}`,
      ok: [200, 404],
      headers: { accept },
      signal,
      transient: serverFailure,
    });
    if (response.status === 404) {
      await discard(response);
      return undefined;
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_MANIFEST_BYTES) {
      await discard(response);
      throw this.#foreignManifest(reference);
    }
    const bytes = new Uint8Array(await this.#readBody(response, signal));
    if (bytes.byteLength > MAX_MANIFEST_BYTES) throw this.#foreignManifest(reference);
    return { bytes, mediaType: response.headers.get('content-type') ?? '' };
  }

  /** Deletes a manifest and the tags on it; resolves whether there was one. */
  async deleteManifest(digest: string, signal: AbortSignal): Promise<boolean> {
    const response = await this.#request({
      method: 'DELETE',
      target: `manifests/${digest}`,
      action: 'delete',
      what: `delete manifest ${digest}`,
      ok: [202, 204, 404],
      signal,
    });
    await discard(response);
    return response.status !== 404;
  }

  async #request(options: RequestOptions): Promise<Response> {
    const { transient, signal } = options;
    if (transient === undefined) return this.#attempt(options);
    try {
      return await pRetry(() => this.#attempt(options), {
        ...TRANSIENT_REPEATS,
        signal,
        shouldRetry: ({ error }) => !signal.aborted && error instanceof CairnError && transient(error),
      });
    } catch (error) {
      // Anything but a CairnError is the signal's reason, thrown by p-retry when the caller gave up.
      throw error instanceof CairnError ? error : CairnError.from(signal.reason);
    }
  }

  async #attempt(options: RequestOptions): Promise<Response> {
    const url = this.#resolve(options.target);
    let sent = this.#auth.authorization(url, options.action);
    let response = await this.#send(url, options, sent);
    if (response.status === 401) {
      const challenge = response.headers.get('www-authenticate');
      await discard(response);
      if (await this.#auth.answer(challenge, sent, options.action, options.signal)) {
        sent = this.#auth.authorization(url, options.action);
        response = await this.#send(url, options, sent);
      }
    }
    if (!options.ok.includes(response.status)) throw await registryError(response, this.#context(options));
    return response;
  }

  async #send(url: URL, options: RequestOptions, authorization: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (authorization) headers.authorization = authorization;
    try {
      return await fetch(url, {
        method: options.method,
        headers,
        redirect: options.redirect ?? 'follow',
        ...(options.body === undefined ? {} : { body: options.body }),
        signal: options.signal,
      });
    } catch (error) {
      throw transportError(error, this.location.host);
    }
  }

  async #readBody(response: Response, signal: AbortSignal): Promise<ArrayBuffer> {
    try {
      return await response.arrayBuffer();
    } catch (error) {
      throw signal.aborted ? CairnError.from(signal.reason) : transportError(error, this.location.host);
    }
  }

  #resolve(target: string): URL {
    const { origin, repository } = this.location;
    return /^https?:\/\//i.test(target) ? new URL(target) : new URL(`${origin}/v2/${repository}/${target}`);
  }

  /** The newest upload `Location`, absolute; registries may answer with a path. */
  #nextLocation(response: Response): string {
    const location = response.headers.get('location');
    if (!location) {
      throw new CairnError(
        Code.Unavailable,
        `registry ${this.location.host} did not say where to continue the upload (no Location header)`,
      );
    }
    return new URL(location, response.url || this.location.origin).href;
  }

  #context(options: RequestOptions): RequestContext {
    return {
      host: this.location.host,
      repository: this.location.repository,
      action: options.action,
      what: options.what,
      anonymous: this.#auth.anonymous,
    };
  }

  #foreignManifest(reference: string): CairnError {
    return new CairnError(
      Code.FailedPrecondition,
      `manifest ${reference} in ${this.location.repository} on ${this.location.host} is too large to be Cairn's; give Cairn a repository of its own`,
    );
  }
}

/**
 * A 5xx may pass: distribution 2.8 rewrites a link file in place (truncate, then write) each time an
 * upload of its blob or a push of its tag finishes, and a read of that link in between answers 500.
 */
function serverFailure(error: CairnError): boolean {
  return Number(error.details.status) >= 500;
}

/**
 * A manifest PUT that read a blob's link mid-rewrite (see serverFailure) is refused as DIGEST_INVALID
 * and MANIFEST_BLOB_UNKNOWN. Cairn pushes a manifest only after the blobs it names were committed, so
 * the same PUT a moment later is right; a blob that is really gone stays refused after the repeats.
 */
function tornManifestCheck(error: CairnError): boolean {
  const reason = error.details.reason;
  return serverFailure(error) || reason === 'digest_invalid' || reason === 'manifest_blob_unknown';
}

/** The registry's Range disagrees with ours; `location` is the session's newest, for cancelling it. */
export class UploadRangeError extends CairnError {
  constructor(
    message: string,
    readonly location: string,
  ) {
    super(Code.Aborted, message, { details: { reason: 'upload_range_mismatch' } });
  }
}

function withQuery(location: string, parameter: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${parameter}`;
}

/** Frees the connection of a response whose body is not needed. */
async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to free.
  }
}
