import type { IsolationLevel, Kysely } from 'kysely';
import { AdvisoryLocks } from './advisory-lock.js';
import { type DatabaseConfig, type OpenedDatabase, openDatabase } from './open-database.js';
import { ApiTokenRepo } from './repos/api-token-repo.js';
import { AttestationRepo } from './repos/attestation-repo.js';
import { BlobLocationRepo } from './repos/blob-location-repo.js';
import { CasBackendRepo } from './repos/cas-backend-repo.js';
import { EventRepo } from './repos/event-repo.js';
import type { Executor } from './repos/executor.js';
import { OrganizationRepo } from './repos/organization-repo.js';
import { RunMaterialRepo } from './repos/run-material-repo.js';
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

  constructor(readonly executor: Executor) {
    this.organizations = new OrganizationRepo(executor);
    this.apiTokens = new ApiTokenRepo(executor);
    this.backends = new CasBackendRepo(executor);
    this.blobLocations = new BlobLocationRepo(executor);
    this.events = new EventRepo(executor);
    this.workflowRuns = new WorkflowRunRepo(executor);
    this.attestations = new AttestationRepo(executor);
    this.runMaterials = new RunMaterialRepo(executor);
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

  private constructor(opened: OpenedDatabase) {
    super(opened.db);
    this.db = opened.db;
    this.kind = opened.kind;
    this.locks = new AdvisoryLocks(opened.db, opened.pool);
  }

  static async open(config: DatabaseConfig): Promise<DataStore> {
    return new DataStore(await openDatabase(config));
  }

  async transaction<T>(
    work: (tx: Repositories) => Promise<T>,
    options: { isolation?: IsolationLevel } = {},
  ): Promise<T> {
    let builder = this.db.transaction();
    if (options.isolation) builder = builder.setIsolationLevel(options.isolation);
    return builder.execute((tx) => work(new Repositories(tx)));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
