import { randomUUID } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import {
  type AttestationRecord,
  type CasBackend,
  type DataStore,
  isUniqueViolation,
  type RunMaterial,
  type WorkflowRun,
} from '../data/index.js';
import { isUuid } from './api-tokens.js';
import { checkBundle } from './attestation-bundle.js';
import {
  AttestationReader,
  type AttestationRef,
  backendById,
  type ResolvedAttestation,
} from './attestation-reader.js';
import type { BlobMapping } from './blob-mapping.js';
import type { BundleCache } from './bundle-cache.js';
import type { BundleCopier } from './bundle-copier.js';
import type { CasBundleStore } from './cas-bundle-store.js';
import type { CasCredentials, IssuedCasToken } from './cas-credentials.js';
import type { Principal } from './principal.js';

export interface AttestationOptions {
  /** With a CAS backend: send the bundle to the CAS before Store returns and keep only its digest. */
  readonly skipDbStorage: boolean;
  /** Upper bound of the synchronous CAS upload, retries included (DESIGN: 60 s). */
  readonly casTimeoutMs: number;
  /** Largest bundle accepted; a run's backend may allow less (its max bytes). */
  readonly maxBundleBytes: number;
}

export const DEFAULT_ATTESTATION_OPTIONS: AttestationOptions = {
  skipDbStorage: false,
  casTimeoutMs: 60_000,
  maxBundleBytes: 2 * 1024 * 1024,
};

/** A run and the backend it was pinned to. */
export interface RunWithBackend {
  readonly run: WorkflowRun;
  readonly backend: CasBackend;
}

export interface StoredAttestation {
  readonly attestation: AttestationRecord;
  readonly backend: CasBackend;
}

export interface AttestationDeps {
  readonly store: DataStore;
  readonly credentials: CasCredentials;
  readonly mapping: BlobMapping;
  readonly bundles: CasBundleStore;
  readonly copier: BundleCopier;
  readonly cache: BundleCache;
  readonly logger: Logger;
  readonly options: AttestationOptions;
}

const NAME_LIMIT = 128;

/**
 * Workflow runs and their attestation bundles (DESIGN, control plane rules): a run is pinned at init to
 * the backend chosen the way uploads choose it; its evidence and bundle go there; the bundle is kept in
 * the database (and copied to the CAS in the background) or, with skipDbStorage and a CAS backend, only in
 * the CAS; reads go cache → database → CAS.
 */
export class Attestations {
  readonly cache: BundleCache;
  readonly copier: BundleCopier;
  readonly options: AttestationOptions;
  readonly #deps: AttestationDeps;
  readonly #reader: AttestationReader;

  constructor(deps: AttestationDeps) {
    this.#deps = deps;
    this.#reader = new AttestationReader(deps.store, deps.bundles, deps.cache);
    this.cache = deps.cache;
    this.copier = deps.copier;
    this.options = deps.options;
  }

  /** Starts a run on the default backend if it is valid, else on the fallback if that is, else fails. */
  async init(principal: Principal, input: { workflow: string; project: string }): Promise<RunWithBackend> {
    const workflow = checkName(input.workflow, 'the workflow name');
    const project = checkName(input.project, 'the project name');
    const { store, credentials, logger } = this.#deps;
    const choice = await credentials.chooseUploadBackend(principal.orgId);
    const run = await store.workflowRuns.insert({
      id: randomUUID(),
      orgId: principal.orgId,
      workflow,
      project,
      backendId: choice.backend.id,
      backendIsFallback: choice.isFallback,
    });
    const log = choice.isFallback ? logger.warn : logger.info;
    log.call(
      logger,
      choice.isFallback ? 'workflow run started on the fallback backend' : 'workflow run started',
      {
        org: principal.orgId,
        run: run.id,
        backendId: choice.backend.id,
        backend: choice.backend.name,
        fallback: choice.isFallback,
      },
    );
    return { run, backend: choice.backend };
  }

  /** An upload token for the run's own backend, whatever the default is now. */
  async uploadCredentials(
    principal: Principal,
    runId: string,
  ): Promise<IssuedCasToken & { run: WorkflowRun }> {
    const { run, backend } = await this.#openRun(principal.orgId, runId);
    if (backend.deletedAt !== null) {
      throw new CairnError(
        Code.FailedPrecondition,
        `backend "${backend.name}" of run ${run.id} was deleted; start a new run (AttestationService.Init)`,
        { details: { reason: 'backend_deleted' } },
      );
    }
    if (backend.provider === 'inline') {
      throw new CairnError(
        Code.FailedPrecondition,
        `run ${run.id} stores its evidence inline (backend "${backend.name}"): embed the evidence in the bundle, ` +
          'or make a CAS backend the default before the next Init',
        { details: { reason: 'inline_backend' } },
      );
    }
    const issued = await this.#deps.credentials.issueFor(principal, 'upload', {
      backend,
      isFallback: run.backendIsFallback,
    });
    return { ...issued, run };
  }

  /**
   * Records a material uploaded during the run, once the CAS confirms it holds the blob on the backend
   * the upload token names (the same check as for any client upload); maps its digest to that backend.
   */
  async recordMaterial(
    principal: Principal,
    runId: string,
    material: { digest: string; uploadToken: string },
    signal: AbortSignal,
  ): Promise<RunMaterial & { backendName: string }> {
    const { run } = await this.#openRun(principal.orgId, runId);
    if (material.uploadToken === '') {
      throw new CairnError(Code.InvalidArgument, 'send the upload token the material was uploaded with');
    }
    const { store, mapping } = this.#deps;
    const recorded = await mapping.recordClientUpload(
      principal,
      material.digest,
      material.uploadToken,
      signal,
    );
    const entry = {
      runId: run.id,
      orgId: principal.orgId,
      digest: material.digest,
      backendId: recorded.backend.id,
      size: recorded.size,
    };
    await store.runMaterials.record(entry);
    return { ...entry, createdAt: new Date(), backendName: recorded.backend.name };
  }

  /** Stores the run's bundle and finishes the run (see AttestationService.Store for where it goes). */
  async store(
    principal: Principal,
    runId: string,
    bytes: Uint8Array,
    signal: AbortSignal,
  ): Promise<StoredAttestation & { run: WorkflowRun }> {
    const orgId = principal.orgId;
    const { store, bundles, copier, logger, options } = this.#deps;
    const run = await this.#requireRun(orgId, runId);
    const backend = await this.#backendOf(run);
    const bundle = checkBundle(bytes, Math.min(options.maxBundleBytes, backend.maxBytes));
    if (run.state !== 'initialized') return this.#storedAlready(run, backend, bundle.digest);

    const inline = backend.provider === 'inline';
    const casOnly = options.skipDbStorage && !inline;
    if (casOnly) await bundles.upload(backend, bundle, options.casTimeoutMs, signal);

    const stored = await store
      .transaction(async (tx) => {
        const now = new Date();
        const finished = await tx.workflowRuns.finish(orgId, run.id, 'succeeded', now);
        if (!finished) return undefined;
        const attestation = await tx.attestations.insert({
          id: randomUUID(),
          orgId,
          runId: run.id,
          digest: bundle.digest,
          size: bundle.size,
          bundle: casOnly ? null : bundle.bytes,
          backendId: backend.id,
          backendIsFallback: run.backendIsFallback,
          storedInCasAt: casOnly ? now : null,
          casCopyPending: !casOnly && !inline,
        });
        // The CAS holds it (casOnly), or the inline backend — the database — does; a background copy maps
        // its own landing.
        if (casOnly || inline) {
          await tx.blobLocations.record({
            orgId,
            digest: bundle.digest,
            backendId: backend.id,
            size: bundle.size,
          });
        }
        return { attestation, run: finished };
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error, 'attestations_org_digest')) {
          throw new CairnError(
            Code.AlreadyExists,
            `this organisation stores a bundle with digest ${bundle.digest} already, from another run; a bundle is stored once`,
          );
        }
        if (isUniqueViolation(error, 'attestations_one_per_run')) return undefined;
        throw error;
      });
    // Another Store of this run finished first: answer as a repeated call would.
    if (!stored) return this.#storedAlready(await this.#requireRun(orgId, run.id), backend, bundle.digest);

    if (stored.attestation.storedInDatabase && !inline) copier.enqueue(stored.attestation.id);
    logger.info('attestation stored', {
      org: orgId,
      run: run.id,
      digest: bundle.digest,
      size: bundle.size,
      backendId: backend.id,
      backend: backend.name,
      fallback: run.backendIsFallback,
      where: casOnly ? 'cas' : inline ? 'database' : 'database, copying to cas',
    });
    return { ...stored, backend };
  }

  /** A bundle by digest or by run: from the cache, else the database, else the CAS (through the digest map). */
  get(principal: Principal, ref: AttestationRef, signal: AbortSignal): Promise<ResolvedAttestation> {
    return this.#reader.get(principal.orgId, ref, signal);
  }

  /** A repeated Store of a finished run: the same bundle gets the stored attestation, anything else is refused. */
  async #storedAlready(
    run: WorkflowRun,
    backend: CasBackend,
    digest: string,
  ): Promise<StoredAttestation & { run: WorkflowRun }> {
    const existing = await this.#deps.store.attestations.findByRun(run.orgId, run.id);
    if (existing && existing.digest === digest) return { attestation: existing, backend, run };
    throw new CairnError(
      Code.FailedPrecondition,
      `run ${run.id} is ${run.state} already${existing ? ` with bundle ${existing.digest}` : ''}; start a new run (AttestationService.Init)`,
      { details: { reason: 'run_finished' } },
    );
  }

  async #openRun(orgId: string, runId: string): Promise<RunWithBackend> {
    const run = await this.#requireRun(orgId, runId);
    if (run.state !== 'initialized') {
      throw new CairnError(
        Code.FailedPrecondition,
        `run ${run.id} is ${run.state} already; start a new run (AttestationService.Init)`,
        { details: { reason: 'run_finished' } },
      );
    }
    return { run, backend: await this.#backendOf(run) };
  }

  async #requireRun(orgId: string, runId: string): Promise<WorkflowRun> {
    const run = isUuid(runId) ? await this.#deps.store.workflowRuns.find(orgId, runId) : undefined;
    if (!run) {
      throw new CairnError(
        Code.NotFound,
        `this organisation has no workflow run ${JSON.stringify(runId.slice(0, 40))}`,
      );
    }
    return run;
  }

  #backendOf(run: WorkflowRun): Promise<CasBackend> {
    return backendById(this.#deps.store, run.orgId, run.backendId);
  }
}

function checkName(value: string, what: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (value.length === 0 || value.length > NAME_LIMIT || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new CairnError(
      Code.InvalidArgument,
      `${what} must have 1–${NAME_LIMIT} characters and no control characters`,
    );
  }
  return value;
}
