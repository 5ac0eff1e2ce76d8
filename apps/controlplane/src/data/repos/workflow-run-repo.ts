import type { Selectable } from 'kysely';
import type { WorkflowRunState, WorkflowRunTable } from '../schema.js';
import type { Executor } from './executor.js';

export interface WorkflowRun {
  readonly id: string;
  readonly orgId: string;
  readonly workflow: string;
  readonly project: string;
  readonly state: WorkflowRunState;
  /** The backend chosen at init; the run's evidence goes there even if the default changes later. */
  readonly backendId: string;
  readonly backendIsFallback: boolean;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

export interface NewWorkflowRun {
  readonly id: string;
  readonly orgId: string;
  readonly workflow: string;
  readonly project: string;
  readonly backendId: string;
  readonly backendIsFallback: boolean;
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
        finished_at: null,
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

  /** Ends a run that is still `initialized`; undefined if there is none by that id in that state. */
  async finish(
    orgId: string,
    id: string,
    state: Exclude<WorkflowRunState, 'initialized'>,
    at: Date,
  ): Promise<WorkflowRun | undefined> {
    const row = await this.db
      .updateTable('workflow_runs')
      .set({ state, finished_at: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('state', '=', 'initialized')
      .returningAll()
      .executeTakeFirst();
    return row && toWorkflowRun(row);
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
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
