import type { ProviderKind } from '@cairn/backends';
import { parseDigest } from '@cairn/backends';
import type { CasRole } from '@cairn/cas-token';
import { CairnError, Code } from '@cairn/errors';
import type { CasBackend, DataStore } from '../data/index.js';
import type { Principal } from './principal.js';
import type { TokenIssuer } from './token-issuer.js';

export interface BackendChoice {
  readonly backend: CasBackend;
  /** True when the default was not usable and the fallback was taken. */
  readonly isFallback: boolean;
}

/** Whom a token is minted for: a caller, or the control plane itself (`CONTROL_PLANE_SUBJECT`). */
export type TokenHolder = Pick<Principal, 'orgId' | 'subject'>;

export interface IssuedCasToken extends BackendChoice {
  readonly token: string;
  readonly expiresAt: Date;
}

/** Picks the backend for uploads and downloads and mints the CAS token for it. */
export class CasCredentials {
  constructor(
    private readonly store: DataStore,
    private readonly issuer: TokenIssuer,
  ) {}

  /**
   * Where new evidence goes: the default if its last validation passed, else the fallback if its did,
   * else FAILED_PRECONDITION explaining both. The inline backend is a valid choice here (attestations
   * embed their evidence); CAS tokens for it are refused by `issue`.
   */
  async chooseUploadBackend(orgId: string): Promise<BackendChoice> {
    const defaultBackend = await this.store.backends.findDefault(orgId);
    if (defaultBackend?.validationStatus === 'ok') return { backend: defaultBackend, isFallback: false };
    const fallback = await this.store.backends.findFallback(orgId);
    if (fallback?.validationStatus === 'ok') return { backend: fallback, isFallback: true };
    const problems = [
      defaultBackend
        ? `default "${defaultBackend.name}" ${describeFailure(defaultBackend)}`
        : 'there is no default backend',
      fallback ? `fallback "${fallback.name}" ${describeFailure(fallback)}` : undefined,
    ].filter((problem) => problem !== undefined);
    const advice = fallback
      ? 'fix them (`cairn cas-backend update NAME`) and recheck (`cairn cas-backend revalidate NAME`)'
      : defaultBackend
        ? `fix it (\`cairn cas-backend update ${defaultBackend.name}\`) and recheck (\`cairn cas-backend revalidate ${defaultBackend.name}\`), or add a fallback (\`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --fallback\`)`
        : 'add one (`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default`)';
    throw new CairnError(Code.FailedPrecondition, `no valid CAS backend: ${problems.join('; ')}; ${advice}`, {
      details: { reason: 'no_valid_backend' },
    });
  }

  /**
   * A CAS token: for uploads on the chosen backend; for downloads on the backend the digest was recorded
   * on (soft-deleted ones included), else the default. A download token with a digest reads only that blob.
   */
  async issue(principal: Principal, role: CasRole, digest?: string): Promise<IssuedCasToken> {
    if (digest !== undefined) parseDigest(digest);
    const choice =
      role === 'upload'
        ? await this.chooseUploadBackend(principal.orgId)
        : await this.#downloadBackend(principal.orgId, digest);
    return this.issueFor(principal, role, choice, digest);
  }

  /**
   * A CAS token for a backend chosen already (e.g. the one a workflow run was pinned to at init); the
   * inline backend is refused, because the CAS does not serve it.
   */
  async issueFor(
    holder: TokenHolder,
    role: CasRole,
    choice: BackendChoice,
    digest?: string,
  ): Promise<IssuedCasToken> {
    const { backend } = choice;
    if (backend.provider === 'inline') {
      throw new CairnError(
        Code.FailedPrecondition,
        role === 'upload'
          ? `the organisation's default backend "${backend.name}" is inline: it keeps evidence inside attestations, and the CAS stores no blobs for it; add a CAS backend as the default with \`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default\``
          : `no CAS backend of this organisation holds ${digest ?? 'the blob'}: it was never recorded, and the default backend "${backend.name}" is inline (the CAS stores no blobs for it); upload it with \`cairn artifact upload\` first`,
        { details: { reason: 'inline_backend' } },
      );
    }
    const minted = await this.issuer.mint({
      sub: holder.subject,
      org: holder.orgId,
      role,
      backend: { id: backend.id, provider: backend.provider as ProviderKind, location: backend.location },
      secret: backend.secretRef ?? '',
      max_bytes: backend.maxBytes,
      ...(role === 'download' && digest !== undefined ? { digest } : {}),
    });
    return { ...choice, ...minted };
  }

  async #downloadBackend(orgId: string, digest: string | undefined): Promise<BackendChoice> {
    if (digest !== undefined) {
      const mapped = await this.store.blobLocations.findBackend(orgId, digest);
      if (mapped) return { backend: mapped, isFallback: false };
    }
    const defaultBackend = await this.store.backends.findDefault(orgId);
    if (!defaultBackend)
      throw new CairnError(Code.FailedPrecondition, 'the organisation has no default backend');
    return { backend: defaultBackend, isFallback: false };
  }
}

function describeFailure(backend: CasBackend): string {
  if (backend.validationStatus === 'pending') return 'has not been validated yet';
  const at = backend.validatedAt ? ` at ${backend.validatedAt.toISOString()}` : '';
  return `failed validation${at}: ${backend.validationError ?? 'no reason recorded'}`;
}
