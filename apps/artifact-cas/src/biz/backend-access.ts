import { isAbsolute, relative, resolve } from 'node:path';
import type { BlobStore } from '@cairn/backends';
import type { BackendClaim, CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { BackendResolver } from '../data/backend-resolver.js';
import type { Lease } from '../data/leased-cache.js';

/**
 * The CAS's own rules on top of a verified token before any backend is touched. Tokens are signed by the
 * control plane; these rules are defence in depth against one minted by mistake or under attack.
 */
export class BackendAccess {
  readonly #resolver: BackendResolver;
  readonly #filesystemRoots: readonly string[];

  constructor(resolver: BackendResolver, filesystemRoots: readonly string[]) {
    this.#resolver = resolver;
    this.#filesystemRoots = filesystemRoots.map((root) => resolve(root));
  }

  async open(claims: CasClaims, signal: AbortSignal): Promise<Lease<BlobStore>> {
    this.#checkLocation(claims.backend);
    return this.#resolver.open(claims, signal);
  }

  /** A filesystem backend must live under one of the configured roots (compared lexically). */
  #checkLocation(backend: BackendClaim): void {
    if (backend.provider !== 'filesystem') return;
    const location = backend.location;
    const inside =
      isAbsolute(location) &&
      !location.split(/[\\/]/).includes('..') &&
      this.#filesystemRoots.some((root) => {
        const path = relative(root, resolve(location));
        return path === '' || (!path.startsWith('..') && !isAbsolute(path));
      });
    if (!inside) {
      throw new CairnError(
        Code.PermissionDenied,
        `backend ${backend.id} is a filesystem location this CAS does not serve; an operator must add its directory to backends.filesystemRoots`,
        { details: { reason: 'filesystem_root_not_allowed' } },
      );
    }
  }
}

/** An upload token may store blobs up to `max_bytes`; the declared size is checked before a byte is stored. */
export function checkUploadSize(claims: CasClaims, size: number): void {
  if (size > claims.max_bytes) {
    throw new CairnError(
      Code.ResourceExhausted,
      `the blob is ${size} bytes but this token allows uploads of at most ${claims.max_bytes} bytes; ask for a token with a larger limit or store a smaller blob`,
      { details: { reason: 'max_bytes_exceeded' } },
    );
  }
}
