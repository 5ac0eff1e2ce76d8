import { delimiter, isAbsolute, relative, resolve } from 'node:path';
import type { BlobStore } from '@cairn/backends';
import type { BackendClaim, CasClaims } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { BackendResolver } from '../data/backend-resolver.js';
import type { Lease } from '../data/leased-cache.js';
import type { LeftoverSweeper } from './leftover-sweeper.js';
import { formatSizes } from './sizes.js';

/**
 * The CAS's own rules on top of a verified token before any backend is touched. Tokens are signed by the
 * control plane; these rules are defence in depth against one minted by mistake or under attack.
 */
export class BackendAccess {
  readonly #resolver: BackendResolver;
  readonly #filesystemRoots: readonly string[];
  readonly #sweeper: LeftoverSweeper | undefined;

  constructor(resolver: BackendResolver, filesystemRoots: readonly string[], sweeper?: LeftoverSweeper) {
    this.#resolver = resolver;
    this.#filesystemRoots = filesystemRoots.map((root) => resolve(root));
    this.#sweeper = sweeper;
  }

  /** The backend's store for a call; a backend in use is also swept of leftovers now and then. */
  async open(claims: CasClaims, signal: AbortSignal): Promise<Lease<BlobStore>> {
    this.#checkLocation(claims.backend);
    const lease = await this.#resolver.open(claims, signal);
    this.#sweeper?.noteUse(claims);
    return lease;
  }

  /** The backend resolved afresh, under the same rules as `open`; the caller closes the store. */
  async openFresh(claims: CasClaims, signal: AbortSignal): Promise<BlobStore> {
    this.#checkLocation(claims.backend);
    return this.#resolver.openFresh(claims, signal);
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
    if (!inside) throw notServed(location, this.#filesystemRoots);
  }
}

/** A filesystem location outside every root: says which directories this CAS does serve. */
function notServed(location: string, roots: readonly string[]): CairnError {
  const details = { reason: 'filesystem_root_not_allowed', location, served: roots.join(delimiter) };
  if (roots.length === 0) {
    return new CairnError(
      Code.PermissionDenied,
      `directory ${location} is not served by this CAS, which serves no filesystem directories; an operator must add it to the CAS's backends.filesystemRoots, or use another provider (\`cairn cas-backend add oci|aws-s3|azure-blob\`)`,
      { details },
    );
  }
  return new CairnError(
    Code.PermissionDenied,
    `directory ${location} is not served by this CAS, which serves ${roots.join(', ')}; choose a directory under ${roots.length === 1 ? 'it' : 'one of them'} (\`cairn cas-backend add filesystem --path DIR\`), or have an operator add it to the CAS's backends.filesystemRoots`,
    { details },
  );
}

/**
 * An upload token may store blobs up to `max_bytes`, the limit of the backend it names; the declared size
 * is checked before a byte is stored. The CAS knows the backend by id only, so the refusal carries the
 * id, the size and the limit in its details for a client to name the backend.
 */
export function checkUploadSize(claims: CasClaims, size: number): void {
  if (size > claims.max_bytes) {
    const shown = formatSizes(size, claims.max_bytes);
    throw new CairnError(
      Code.ResourceExhausted,
      `${shown.size} is over the ${shown.limit} limit of this backend; raise it with \`cairn cas-backend update NAME --max-bytes SIZE\``,
      {
        details: {
          reason: 'blob_too_large',
          size: String(size),
          max_bytes: String(claims.max_bytes),
          backend_id: claims.backend.id,
        },
      },
    );
  }
}
