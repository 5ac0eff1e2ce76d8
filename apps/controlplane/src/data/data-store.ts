import type { IsolationLevel, Kysely } from 'kysely';
import { AdvisoryLocks } from './advisory-lock.js';
import { CacheInvalidation } from './cache-invalidation.js';
import {
  type DatabaseConfig,
  DEFAULT_DATABASE_TIMEOUT_MS,
  type OpenedDatabase,
  openDatabase,
} from './open-database.js';
import { type CacheScope, ReadCaches, SHARED_SCOPE, TransactionScope } from './read-cache.js';
import { ApiTokenRepo } from './repos/api-token-repo.js';
import { AttestationRepo } from './repos/attestation-repo.js';
import { BlobLocationRepo } from './repos/blob-location-repo.js';
import { CasBackendRepo } from './repos/cas-backend-repo.js';
import { EventRepo } from './repos/event-repo.js';
import type { Executor } from './repos/executor.js';
import { OrganizationRepo } from './repos/organization-repo.js';
import { RunMaterialRepo } from './repos/run-material-repo.js';
import { SigningKeyRepo } from './repos/signing-key-repo.js';
import { WorkflowRunRepo } from './repos/workflow-run-repo.js';
import type { DatabaseSchema } from './schema.js';

/** Every repository, bound to the database or to one transaction. */
export class Repositories {
  readonly organizations: OrganizationRepo;
  readonly apiTokens: ApiTokenRepo;
  readonly backends: CasBackendRepo;
  readonly blobLocations: BlobLocationRepo;
  readonly events: EventRepo;
  readonly workflowRuns: WorkflowRunRepo;
  readonly attestations: AttestationRepo;
  readonly runMaterials: RunMaterialRepo;
  readonly signingKeys: SigningKeyRepo;

  constructor(
    readonly executor: Executor,
    caches: ReadCaches,
    scope: CacheScope = SHARED_SCOPE,
  ) {
    this.organizations = new OrganizationRepo(executor);
    this.apiTokens = new ApiTokenRepo(executor, caches.apiTokens, scope);
    this.backends = new CasBackendRepo(executor, caches.backends, scope);
    this.blobLocations = new BlobLocationRepo(executor);
    this.events = new EventRepo(executor);
    this.workflowRuns = new WorkflowRunRepo(executor);
    this.attestations = new AttestationRepo(executor);
    this.runMaterials = new RunMaterialRepo(executor);
    this.signingKeys = new SigningKeyRepo(executor);
  }
}

/**
 * The data layer's entry point: repositories on the database, transactions, advisory locks. Inside
 * `transaction()` use only the repositories it hands you: on PGlite the outer ones wait for the lock the
 * transaction holds.
 */
export class DataStore extends Repositories {
  readonly kind: OpenedDatabase['kind'];
  readonly locks: AdvisoryLocks;
  readonly db: Kysely<DatabaseSchema>;
  readonly #caches: ReadCaches;
  readonly #invalidation: CacheInvalidation | undefined;

  private constructor(opened: OpenedDatabase, caches: ReadCaches, invalidation?: CacheInvalidation) {
    super(opened.db, caches);
    this.db = opened.db;
    this.kind = opened.kind;
    this.locks = new AdvisoryLocks(opened.db, opened.pool);
    this.#caches = caches;
    this.#invalidation = invalidation;
  }

  /**
   * `cacheTtlMs` (default 0, no cache) keeps hot rows for that long; see ReadCache. On PostgreSQL the
   * replicas sharing the database tell each other what to drop (cache-invalidation.ts).
   */
  static async open(config: DatabaseConfig & { readonly cacheTtlMs?: number }): Promise<DataStore> {
    const ttlMs = config.cacheTtlMs ?? 0;
    const opened = await openDatabase(config);
    if (config.kind !== 'postgres' || ttlMs === 0) return new DataStore(opened, new ReadCaches(ttlMs));
    const invalidation = new CacheInvalidation(config.url, config.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS);
    const caches = new ReadCaches(ttlMs, (cache) => invalidation.publish(cache));
    try {
      await invalidation.start(opened.db as Kysely<unknown>, caches);
    } catch (error) {
      await opened.db.destroy();
      throw error;
    }
    return new DataStore(opened, caches, invalidation);
  }

  async transaction<T>(
    work: (tx: Repositories) => Promise<T>,
    options: { isolation?: IsolationLevel } = {},
  ): Promise<T> {
    let builder = this.db.transaction();
    if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
    const scope = new TransactionScope();
    try {
      return await builder.execute((tx) => work(new Repositories(tx, this.#caches, scope)));
    } finally {
      scope.settle();
    }
  }

  async close(): Promise<void> {
    await this.#invalidation?.close();
    await this.db.destroy();
  }
}
