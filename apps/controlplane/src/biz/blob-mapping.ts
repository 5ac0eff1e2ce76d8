import { parseDigest } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { CasBackend, CasResourceReader, DataStore } from '../data/index.js';
import type { Principal } from './principal.js';
import type { TokenIssuer } from './token-issuer.js';

/** The control plane's own principal in tokens it mints for itself. */
export const CONTROL_PLANE_SUBJECT = 'cairn-controlplane';

/** Keeps the digest → backend map, so downloads find blobs after the default changed or a backend was deleted. */
export class BlobMapping {
  constructor(
    private readonly store: DataStore,
    private readonly issuer: TokenIssuer,
    private readonly cas: CasResourceReader,
  ) {}

  /**
   * Records a blob a client uploaded through the CAS itself. The client's word is not taken: the upload
   * token (minted here) names the backend, and the CAS must confirm it holds the blob there.
   */
  async recordClientUpload(
    principal: Principal,
    digest: string,
    uploadToken: string,
    signal: AbortSignal,
  ): Promise<{ backend: CasBackend; size: number }> {
    parseDigest(digest);
    const claims = await this.issuer.verifyOwn(uploadToken, 'upload', signal);
    if (claims.org !== principal.orgId) {
      throw new CairnError(Code.PermissionDenied, 'the upload token belongs to another organisation');
    }
    const backend = await this.store.backends.find(principal.orgId, claims.backend.id, {
      includeDeleted: true,
    });
    if (!backend)
      throw new CairnError(Code.NotFound, 'the backend named by the upload token no longer exists');

    const { token } = await this.issuer.mint({
      sub: CONTROL_PLANE_SUBJECT,
      org: principal.orgId,
      role: 'download',
      backend: claims.backend,
      secret: backend.secretRef ?? '',
      max_bytes: backend.maxBytes,
      digest,
    });
    const described = await this.cas.describe(digest, token, signal);
    if (!described) {
      throw new CairnError(
        Code.FailedPrecondition,
        `the CAS does not hold ${digest} on backend "${backend.name}"; upload it first (\`cairn artifact upload\` records it too)`,
        { details: { reason: 'blob_not_stored' } },
      );
    }
    await this.recordLanded(principal.orgId, digest, backend.id, described.size);
    return { backend, size: described.size };
  }

  /** Records a blob the control plane stored (or had confirmed) itself, e.g. an attestation bundle. */
  async recordLanded(orgId: string, digest: string, backendId: string, size: number): Promise<void> {
    parseDigest(digest);
    await this.store.blobLocations.record({ orgId, digest, backendId, size });
  }
}
