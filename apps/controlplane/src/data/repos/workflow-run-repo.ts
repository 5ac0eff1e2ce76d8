import { type Selectable, sql } from 'kysely';
import { toNumber } from '../numbers.js';
import type { BackendProvider, WorkflowRunState, WorkflowRunTable } from '../schema.js';
import type { Executor } from './executor.js';

export interface WorkflowRun {
  readonly id: string;
  readonly orgId: string;
  readonly workflow: string;
  /** '' when none was given. */
  readonly project: string;
  readonly state: WorkflowRunState;
  /** The backend chosen at init; the run's evidence goes there even if the default changes later. */
  readonly backendId: string;
  readonly backendIsFallback: boolean;
  /** The CI system the CLI detected at init, and the page of its run; null when not sent. */
  readonly runnerType: string | null;
  readonly runnerUrl: string | null;
  readonly createdAt: Date;
  /** When the run was pushed, reset or expired; null while it is `initialized`. */
  readonly finishedAt: Date | null;
  /** Why it was reset (failed or cancelled runs only). */
  readonly resetReason: string | null;
  /** When it expires unless pushed before. */
  readonly expiresAt: Date;
}

export interface NewWorkflowRun {
  readonly id: string;
  readonly orgId: string;
  readonly workflow: string;
  readonly project: string;
  readonly backendId: string;
  readonly backendIsFallback: boolean;
  readonly runnerType: string | null;
  readonly runnerUrl: string | null;
  /** The run expires this long after its creation, by the database's clock. */
  readonly lifetimeMs: number;
}

/** A run as listed: with its backend's name and provider and the digest of its bundle once pushed. */
export interface ListedWorkflowRun extends WorkflowRun {
  readonly backend: {
    readonly id: string;
    readonly name: string;
    readonly provider: BackendProvider;
    readonly maxBytes: number;
  };
  readonly attestationDigest: string | null;
}

export interface WorkflowRunFilter {
  readonly workflow?: string;
  readonly state?: WorkflowRunState;
}

export class WorkflowRunRepo {
  constructor(private readonly db: Executor) {}

  async insert(run: NewWorkflowRun): Promise<WorkflowRun> {
    const row = await this.db
      .insertInto('workflow_runs')
      .values({
        id: run.id,
        org_id: run.orgId,
        workflow: run.workflow,
        project: run.project,
        state: 'initialized',
        backend_id: run.backendId,
        backend_is_fallback: run.backendIsFallback,
        runner_type: run.runnerType,
        runner_url: run.runnerUrl,
        finished_at: null,
        expires_at: sql<Date>`now() + ${Math.round(run.lifetimeMs)} * interval '1 millisecond'`,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toWorkflowRun(row);
  }

  async find(orgId: string, id: string): Promise<WorkflowRun | undefined> {
    const row = await this.db
      .selectFrom('workflow_runs')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toWorkflowRun(row);
  }

  /** The run, and whether it is initialized past its lifetime by the database's clock (expireIfOverdue is due). */
  async findWithOverdue(
    orgId: string,
    id: string,
  ): Promise<{ run: WorkflowRun; overdue: boolean } | undefined> {
    const row = await this.db
      .selectFrom('workflow_runs')
      .selectAll()
      .select(sql<boolean>`state = 'initialized' and expires_at <= now()`.as('overdue'))
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const { overdue, ...run } = row;
    return { run: toWorkflowRun(run), overdue: overdue === true };
  }

  /** Reads the run and locks its row until the transaction ends (use inside `transaction()`). */
  async lock(orgId: string, id: string): Promise<WorkflowRun | undefined> {
    const row = await this.db
      .selectFrom('workflow_runs')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row && toWorkflowRun(row);
  }

  /**
   * Ends a run that is still `initialized` (with the reason of a reset); undefined if there is none by
   * that id in that state.
   */
  async finish(
    orgId: string,
    id: string,
    state: Exclude<WorkflowRunState, 'initialized' | 'expired'>,
    at: Date,
    resetReason: string | null = null,
  ): Promise<WorkflowRun | undefined> {
    const row = await this.db
      .updateTable('workflow_runs')
      .set({ state, finished_at: at, reset_reason: resetReason })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('state', '=', 'initialized')
      .returningAll()
      .executeTakeFirst();
    return row && toWorkflowRun(row);
  }

  /**
   * Marks the run expired if it is `initialized` and past its lifetime by the database's clock (its
   * finished time is the moment it expired); returns it then, else undefined.
   */
  async expireIfOverdue(orgId: string, id: string): Promise<WorkflowRun | undefined> {
    const row = await this.db
      .updateTable('workflow_runs')
      .set({ state: 'expired', finished_at: sql<Date>`expires_at` })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('state', '=', 'initialized')
      .where('expires_at', '<=', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst();
    return row && toWorkflowRun(row);
  }

  /** Marks up to `limit` overdue runs expired (of one organisation, or all), oldest first; returns them. */
  async expireOverdue(limit: number, orgId?: string): Promise<WorkflowRun[]> {
    let due = this.db
      .selectFrom('workflow_runs')
      .select('id')
      .where('state', '=', 'initialized')
      .where('expires_at', '<=', sql<Date>`now()`)
      .orderBy('expires_at')
      .limit(limit)
      .forUpdate()
      .skipLocked();
    if (orgId !== undefined) due = due.where('org_id', '=', orgId);
    const rows = await this.db
      .updateTable('workflow_runs')
      .set({ state: 'expired', finished_at: sql<Date>`expires_at` })
      .where('id', 'in', due)
      .where('state', '=', 'initialized')
      .returningAll()
      .execute();
    return rows.map(toWorkflowRun);
  }

  /**
   * The organisation's runs newest first (ties broken by id), after the run `after` when given, at most
   * `limit`. The position of `after` is read in the database, so timestamps keep their full precision.
   */
  async list(
    orgId: string,
    filter: WorkflowRunFilter,
    after: string | undefined,
    limit: number,
  ): Promise<ListedWorkflowRun[]> {
    let query = this.db
      .selectFrom('workflow_runs as r')
      .innerJoin('cas_backends as b', 'b.id', 'r.backend_id')
      .leftJoin('attestations as a', 'a.run_id', 'r.id')
      .selectAll('r')
      .select([
        'b.name as backend_name',
        'b.provider as backend_provider',
        'b.max_bytes as backend_max_bytes',
        'a.digest as attestation_digest',
      ])
      .where('r.org_id', '=', orgId)
      .orderBy('r.created_at', 'desc')
      .orderBy('r.id', 'desc')
      .limit(limit);
    if (filter.workflow !== undefined) query = query.where('r.workflow', '=', filter.workflow);
    if (filter.state !== undefined) query = query.where('r.state', '=', filter.state);
    if (after !== undefined) {
      query = query.where(
        sql<boolean>`(r.created_at, r.id) < (select c.created_at, c.id from workflow_runs c where c.org_id = ${orgId} and c.id = ${after})`,
      );
    }
    const rows = await query.execute();
    return rows.map((row) => ({
      ...toWorkflowRun(row),
      backend: {
        id: row.backend_id,
        name: row.backend_name,
        provider: row.backend_provider,
        maxBytes: toNumber(row.backend_max_bytes),
      },
      attestationDigest: row.attestation_digest,
    }));
  }
}

function toWorkflowRun(row: Selectable<WorkflowRunTable>): WorkflowRun {
  return {
    id: row.id,
    orgId: row.org_id,
    workflow: row.workflow,
    project: row.project,
    state: row.state,
    backendId: row.backend_id,
    backendIsFallback: row.backend_is_fallback,
    runnerType: row.runner_type,
    runnerUrl: row.runner_url,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    resetReason: row.reset_reason,
    expiresAt: row.expires_at,
  };
}
