import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type { CasBlobTransfer, DataStore } from '../data/index.js';
import { type AttestationOptions, Attestations, DEFAULT_ATTESTATION_OPTIONS } from './attestations.js';
import type { BlobMapping } from './blob-mapping.js';
import { BundleCache } from './bundle-cache.js';
import { BundleCopier, type BundleCopierOptions, DEFAULT_BUNDLE_COPIER_OPTIONS } from './bundle-copier.js';
import { CasBundleStore, type CasRetryPolicy, DEFAULT_CAS_RETRY } from './cas-bundle-store.js';
import type { CasCredentials } from './cas-credentials.js';
import { DEFAULT_RUN_EXPIRY_OPTIONS, type RunExpiryOptions, RunExpirySweeper } from './run-expiry.js';

/** Bundles read recently, kept in memory: few enough entries and bytes to stay small. */
export const BUNDLE_CACHE_LIMITS = { maxEntries: 256, maxBytes: 64 * 1024 * 1024 } as const;

export interface AttestationWiring {
  readonly store: DataStore;
  readonly credentials: CasCredentials;
  readonly mapping: BlobMapping;
  readonly transfer: CasBlobTransfer;
  readonly logger: Logger;
  readonly options?: Partial<AttestationOptions>;
  readonly copier?: Partial<BundleCopierOptions>;
  readonly retry?: Partial<CasRetryPolicy>;
  readonly expiry?: Partial<RunExpiryOptions>;
  readonly cache?: { readonly maxEntries: number; readonly maxBytes: number };
}

/** The attestation use cases with their cache, CAS bundle store, background copier and expiry sweep. */
export function createAttestations(wiring: AttestationWiring): Attestations {
  const options = { ...DEFAULT_ATTESTATION_OPTIONS, ...wiring.options };
  const bundles = new CasBundleStore(wiring.credentials, wiring.transfer, {
    ...DEFAULT_CAS_RETRY,
    ...wiring.retry,
  });
  const limits = wiring.cache ?? BUNDLE_CACHE_LIMITS;
  return new Attestations({
    store: wiring.store,
    credentials: wiring.credentials,
    mapping: wiring.mapping,
    bundles,
    copier: new BundleCopier(wiring.store, bundles, wiring.mapping, wiring.logger, {
      ...DEFAULT_BUNDLE_COPIER_OPTIONS,
      timeoutMs: options.casTimeoutMs,
      ...wiring.copier,
    }),
    expiry: new RunExpirySweeper(wiring.store, wiring.logger, {
      ...DEFAULT_RUN_EXPIRY_OPTIONS,
      ...wiring.expiry,
    }),
    cache: new BundleCache(limits.maxEntries, limits.maxBytes),
    logger: wiring.logger,
    options,
  });
}

/** For a core built without a CAS (tools, tests of other rules): every transfer says so. */
export const noCasBlobTransfer: CasBlobTransfer = {
  upload: async () => {
    throw new CairnError(Code.FailedPrecondition, 'this control plane has no CAS to store bundles in');
  },
  download: async () => {
    throw new CairnError(Code.FailedPrecondition, 'this control plane has no CAS to read bundles from');
  },
};
