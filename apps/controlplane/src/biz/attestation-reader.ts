import { parseDigest } from '@cairn/backends';
import { CairnError, Code } from '@cairn/errors';
import type { AttestationRecord, CasBackend, DataStore } from '../data/index.js';
import { isUuid } from './api-tokens.js';
import { backendById } from './backend-by-id.js';
import type { BundleCache } from './bundle-cache.js';
import type { CasBundleStore } from './cas-bundle-store.js';
import { type RecordedMaterial, recordedMaterials } from './run-materials.js';

export type AttestationRef = { readonly digest: string } | { readonly runId: string };

export type BundleSource = 'cache' | 'database' | 'cas';

export interface ResolvedAttestation {
  readonly attestation: AttestationRecord;
  readonly backend: CasBackend;
  /** The bundle, checked against its digest when it came from the CAS. */
  readonly bundle: Uint8Array;
  readonly source: BundleSource;
  /** The materials recorded on the bundle's run, in the order added. */
  readonly materials: readonly RecordedMaterial[];
}

/**
 * The read path of attestations: metadata from the database (always fresh), the bundle's bytes from the
 * cache, else the database, else the CAS through the digest → backend map (so a bundle stays readable
 * after the default changed or its backend was soft-deleted).
 */
export class AttestationReader {
  constructor(
    private readonly store: DataStore,
    private readonly bundles: CasBundleStore,
    private readonly cache: BundleCache,
  ) {}

  async get(orgId: string, ref: AttestationRef, signal: AbortSignal): Promise<ResolvedAttestation> {
    const attestation = await this.#find(orgId, ref);
    const backend = await backendById(this.store, orgId, attestation.backendId);
    const materials = await recordedMaterials(this.store, orgId, attestation.runId, backend);
    const cached = this.cache.get(orgId, attestation.digest);
    if (cached) return { attestation, backend, materials, bundle: cached, source: 'cache' };

    let bundle: Uint8Array | undefined;
    let source: BundleSource = 'database';
    if (attestation.storedInDatabase)
      bundle = await this.store.attestations.loadBundle(orgId, attestation.id);
    if (!bundle) {
      bundle = await this.#fromCas(attestation, signal);
      source = 'cas';
    }
    this.cache.set(orgId, attestation.digest, bundle);
    return { attestation, backend, materials, bundle, source };
  }

  async #fromCas(attestation: AttestationRecord, signal: AbortSignal): Promise<Uint8Array> {
    const backend = await this.store.blobLocations.findBackend(attestation.orgId, attestation.digest);
    if (!backend || backend.provider === 'inline') {
      throw new CairnError(
        Code.DataLoss,
        `attestation ${attestation.digest} has no stored copy the control plane can reach; report this to its operator`,
      );
    }
    return this.bundles.download(backend, { digest: attestation.digest, size: attestation.size }, signal);
  }

  async #find(orgId: string, ref: AttestationRef): Promise<AttestationRecord> {
    const attestations = this.store.attestations;
    if ('digest' in ref) {
      parseDigest(ref.digest);
      const found = await attestations.findByDigest(orgId, ref.digest);
      if (!found) {
        throw new CairnError(Code.NotFound, `this organisation has no attestation with digest ${ref.digest}`);
      }
      return found;
    }
    const found = isUuid(ref.runId) ? await attestations.findByRun(orgId, ref.runId) : undefined;
    if (!found) {
      throw new CairnError(
        Code.NotFound,
        `this organisation has no attestation for run ${JSON.stringify(ref.runId.slice(0, 40))}`,
      );
    }
    return found;
  }
}
