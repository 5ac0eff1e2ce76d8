import { randomUUID } from 'node:crypto';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import {
  type AttestationRecord,
  type CasBackend,
  type DataStore,
  isUniqueViolation,
  type WorkflowRun,
} from '../data/index.js';
import { checkBundle, checkStatementAgainstRun, readStatement } from './attestation-bundle.js';
import { AttestationReader, type AttestationRef, type ResolvedAttestation } from './attestation-reader.js';
import { backendById } from './backend-by-id.js';
import type { BlobMapping } from './blob-mapping.js';
import type { BundleCache } from './bundle-cache.js';
import type { BundleCopier } from './bundle-copier.js';
import type { CasBundleStore } from './cas-bundle-store.js';
import type { CasCredentials, IssuedCasToken } from './cas-credentials.js';
import type { Principal } from './principal.js';
import type { RunExpirySweeper } from './run-expiry.js';
import {
  type AddMaterialInput,
  bundleCapOf,
  type RecordedMaterial,
  RunMaterials,
  recordedMaterials,
} from './run-materials.js';
import {
  checkName,
  checkRunner,
  notInitialized,
  type ResetTrigger,
  type RunnerInput,
  WorkflowRuns,
} from './workflow-runs.js';

export interface AttestationOptions {
  /** With a CAS backend: send the bundle to the CAS before Store returns and keep only its digest. */
  readonly skipDbStorage: boolean;
  /** Upper bound of the synchronous CAS upload, retries included (DESIGN: 60 s). */
  readonly casTimeoutMs: number;
  /** Largest bundle accepted; a run on a CAS backend may allow less (that backend's max bytes). */
  readonly maxBundleBytes: number;
  /** A run not pushed within this time after Init expires. */
  readonly runLifetimeMs: number;
}

export const DEFAULT_ATTESTATION_OPTIONS: AttestationOptions = {
  skipDbStorage: false,
  casTimeoutMs: 60_000,
  maxBundleBytes: 2 * 1024 * 1024,
  runLifetimeMs: 24 * 3600_000,
};

/** A run and the backend it was pinned to. */
export interface RunWithBackend {
  readonly run: WorkflowRun;
  readonly backend: CasBackend;
}

/** A run with everything its attestation's statement needs. */
export interface RunDetails extends RunWithBackend {
  readonly materials: readonly RecordedMaterial[];
  readonly attestationDigest: string | null;
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
  readonly expiry: RunExpirySweeper;
  readonly cache: BundleCache;
  readonly logger: Logger;
  readonly options: AttestationOptions;
}

/**
 * Workflow runs and their attestation bundles (DESIGN, control plane rules): a run is pinned at init to
 * the backend chosen the way uploads choose it; its evidence and bundle go there; the bundle is kept in
 * the database (and copied to the CAS in the background) or, with skipDbStorage and a CAS backend, only in
 * the CAS; reads go cache → database → CAS.
 */
export class Attestations {
  readonly cache: BundleCache;
  readonly copier: BundleCopier;
  /** Marks runs not pushed within their lifetime expired, in the background. */
  readonly expiry: RunExpirySweeper;
  readonly options: AttestationOptions;
  readonly runs: WorkflowRuns;
  readonly #deps: AttestationDeps;
  readonly #reader: AttestationReader;
  readonly #materials: RunMaterials;

  constructor(deps: AttestationDeps) {
    this.#deps = deps;
    this.#reader = new AttestationReader(deps.store, deps.bundles, deps.cache);
    this.runs = new WorkflowRuns(deps.store, deps.logger);
    this.#materials = new RunMaterials(
      deps.store,
      this.runs,
      deps.mapping,
      deps.logger,
      deps.options.maxBundleBytes,
    );
    this.cache = deps.cache;
    this.copier = deps.copier;
    this.expiry = deps.expiry;
    this.options = deps.options;
  }

  /** Starts a run on the default backend if it is valid, else on the fallback if that is, else fails. */
  async init(
    principal: Principal,
    input: { workflow: string; project: string; runner?: RunnerInput },
  ): Promise<RunWithBackend> {
    const workflow = checkName(input.workflow, 'the workflow name');
    const project = checkName(input.project, 'the project name', { optional: true });
    const runner = checkRunner(input.runner);
    const { store, credentials, logger, options } = this.#deps;
    const choice = await credentials.chooseUploadBackend(principal.orgId);
    const run = await store.workflowRuns.insert({
      id: randomUUID(),
      orgId: principal.orgId,
      workflow,
      project,
      backendId: choice.backend.id,
      backendIsFallback: choice.isFallback,
      runnerType: runner.type,
      runnerUrl: runner.url,
      lifetimeMs: options.runLifetimeMs,
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
    const run = await this.runs.open(principal.orgId, runId);
    const backend = await this.#backendOf(run);
    if (backend.deletedAt !== null) {
      throw new CairnError(
        Code.FailedPrecondition,
        `backend "${backend.name}" of run ${run.id} was deleted; start a new run, which takes today's default (\`cairn cas-backend list\` shows it)`,
        { details: { reason: 'backend_deleted' } },
      );
    }
    if (backend.provider === 'inline') {
      throw new CairnError(
        Code.FailedPrecondition,
        `run ${run.id} stores its evidence inline (backend "${backend.name}"): embed the evidence in the bundle, ` +
          'or add a CAS backend as the default (`cairn cas-backend add <oci|aws-s3|azure-blob|filesystem> ... --default`) before the next run',
        { details: { reason: 'inline_backend' } },
      );
    }
    const issued = await this.#deps.credentials.issueFor(principal, 'upload', {
      backend,
      isFallback: run.backendIsFallback,
    });
    return { ...issued, run };
  }

  /** Records a material on the run (see RunMaterials for the sources and their caps). */
  addMaterial(
    principal: Principal,
    runId: string,
    input: AddMaterialInput,
    signal: AbortSignal,
  ): Promise<RecordedMaterial> {
    return this.#materials.add(principal, runId, input, signal);
  }

  /** The run, its backend and its materials in the order added, and its bundle's digest once pushed. */
  async getRun(principal: Principal, runId: string): Promise<RunDetails> {
    const { store } = this.#deps;
    const run = await this.runs.find(principal.orgId, runId);
    const [backend, materials, attestation] = await Promise.all([
      this.#backendOf(run),
      recordedMaterials(store, run.orgId, run.id),
      store.attestations.findByRun(run.orgId, run.id),
    ]);
    return { run, backend, materials, attestationDigest: attestation?.digest ?? null };
  }

  /** Ends an initialized run as failed or cancelled (see WorkflowRuns.reset). */
  async reset(
    principal: Principal,
    runId: string,
    input: { trigger: ResetTrigger; reason: string },
  ): Promise<RunWithBackend> {
    const run = await this.runs.reset(principal, runId, input);
    return { run, backend: await this.#backendOf(run) };
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
    const run = await this.runs.find(orgId, runId);
    const backend = await this.#backendOf(run);
    const bundle = checkBundle(bytes, bundleCapOf(backend, options.maxBundleBytes));
    if (run.state !== 'initialized') return this.#storedAlready(run, backend, bundle.digest);
    const statement = readStatement(bundle);
    checkStatementAgainstRun(statement, run, backend, await recordedMaterials(store, orgId, run.id, backend));

    const inline = backend.provider === 'inline';
    const casOnly = options.skipDbStorage && !inline;
    if (casOnly) await bundles.upload(backend, bundle, options.casTimeoutMs, signal);

    const stored = await store
      .transaction(async (tx) => {
        // With the run locked, no material can be added meanwhile; one added since the check above must be
        // in the statement too.
        const locked = await tx.workflowRuns.lock(orgId, run.id);
        if (locked?.state !== 'initialized') return undefined;
        checkStatementAgainstRun(
          statement,
          locked,
          backend,
          await recordedMaterials(tx, orgId, run.id, backend),
        );
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
    if (!stored) return this.#storedAlready(await this.runs.find(orgId, run.id), backend, bundle.digest);

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
    throw notInitialized(run, existing?.digest);
  }

  #backendOf(run: WorkflowRun): Promise<CasBackend> {
    return backendById(this.#deps.store, run.orgId, run.backendId);
  }
}
