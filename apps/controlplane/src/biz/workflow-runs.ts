import { RUNNER_TYPES } from '@cairn/attestation';
import { CairnError, Code } from '@cairn/errors';
import type { Logger } from '@cairn/observability';
import type {
  DataStore,
  ListedWorkflowRun,
  WorkflowRun,
  WorkflowRunFilter,
  WorkflowRunState,
} from '../data/index.js';
import { isUuid } from './api-tokens.js';
import type { Principal } from './principal.js';

const NAME_LIMIT = 128;
const URL_LIMIT = 2048;
const REASON_LIMIT = 1024;
/** Runs per page of a listing when the caller names no size, and the most it may ask for. */
export const LIST_PAGE_SIZE = { default: 50, max: 500 } as const;
const EXPIRY_BATCH = 500;

export type ResetTrigger = 'failure' | 'cancellation';

/** Where a run runs, as the CLI detected it at init. */
export interface RunnerInput {
  readonly type: string;
  readonly url: string;
}

/**
 * The lifecycle of runs: `initialized` → `succeeded` (pushed), `failed` or `cancelled` (reset), or `expired`
 * (not pushed within its lifetime). Every read of a run first marks it expired if it is initialized and
 * past its lifetime (by the database's clock), so no call acts on a run that should have expired, whether
 * or not the background sweep got to it.
 */
export class WorkflowRuns {
  constructor(
    private readonly store: DataStore,
    private readonly logger: Logger,
  ) {}

  /** The organisation's run, whatever its state (NOT_FOUND if it has none by that id). */
  async find(orgId: string, runId: string): Promise<WorkflowRun> {
    if (!isUuid(runId)) throw runNotFound(runId);
    // One read when the run is not overdue, the common case; the update (race-safe) only when it is.
    const found = await this.store.workflowRuns.findWithOverdue(orgId, runId);
    if (!found) throw runNotFound(runId);
    if (!found.overdue) return found.run;
    const expired = await this.store.workflowRuns.expireIfOverdue(orgId, runId);
    if (expired) logExpired(this.logger, expired, 'on access');
    const run = expired ?? (await this.store.workflowRuns.find(orgId, runId));
    if (!run) throw runNotFound(runId);
    return run;
  }

  /** The run for a call that changes it: it must still be `initialized` (and within its lifetime). */
  async open(orgId: string, runId: string): Promise<WorkflowRun> {
    const run = await this.find(orgId, runId);
    if (run.state !== 'initialized') throw notInitialized(run);
    return run;
  }

  /** Ends an initialized run as failed or cancelled, keeping the reason. */
  async reset(
    principal: Principal,
    runId: string,
    input: { trigger: ResetTrigger; reason: string },
  ): Promise<WorkflowRun> {
    const reason = checkReason(input.reason);
    const run = await this.open(principal.orgId, runId);
    const state = input.trigger === 'cancellation' ? 'cancelled' : 'failed';
    const ended = await this.store.workflowRuns.finish(run.orgId, run.id, state, new Date(), reason);
    // Pushed, reset or expired meanwhile: say what it is now.
    if (!ended) throw notInitialized(await this.find(run.orgId, run.id));
    this.logger.info('workflow run reset', {
      org: run.orgId,
      run: run.id,
      state,
      ...(reason === null ? {} : { reason }),
    });
    return ended;
  }

  /**
   * The organisation's runs newest first, a page at a time. Runs past their lifetime are marked expired
   * first, so a listing never shows one as still in progress. The page token names the last run listed
   * and the filters it was listed with; the next page starts after that run.
   */
  async list(principal: Principal, query: RunListQuery): Promise<RunListing> {
    const orgId = principal.orgId;
    if (!Number.isSafeInteger(query.pageSize) || query.pageSize < 0) {
      throw new CairnError(
        Code.InvalidArgument,
        'the page size must be 0 (for 50) or a positive number of runs',
        {
          details: { reason: 'invalid_page_size' },
        },
      );
    }
    const filter: WorkflowRunFilter = {
      ...(query.workflow === '' ? {} : { workflow: checkName(query.workflow, 'the workflow name') }),
      ...(query.state === undefined ? {} : { state: query.state }),
    };
    const size = Math.min(query.pageSize || LIST_PAGE_SIZE.default, LIST_PAGE_SIZE.max);
    const after = query.pageToken === '' ? undefined : readPageToken(query.pageToken, filter);
    for (;;) {
      const expired = await this.store.workflowRuns.expireOverdue(EXPIRY_BATCH, orgId);
      for (const run of expired) logExpired(this.logger, run, 'by a listing');
      if (expired.length < EXPIRY_BATCH) break;
    }
    const rows = await this.store.workflowRuns.list(orgId, filter, after, size + 1);
    const runs = rows.slice(0, size);
    const last = runs.at(-1);
    return {
      runs,
      nextPageToken: rows.length > size && last ? pageToken(last.id, filter) : '',
    };
  }
}

interface PageToken {
  readonly v: 1;
  /** The last run of the page before. */
  readonly after: string;
  readonly workflow: string;
  readonly state: string;
}

function pageToken(after: string, filter: WorkflowRunFilter): string {
  const token: PageToken = { v: 1, after, workflow: filter.workflow ?? '', state: filter.state ?? '' };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function readPageToken(text: string, filter: WorkflowRunFilter): string {
  let token: Partial<PageToken> | undefined;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    token = undefined;
  }
  if (token?.v !== 1 || typeof token.after !== 'string' || !isUuid(token.after)) {
    throw new CairnError(
      Code.InvalidArgument,
      'the page token is not one a listing returned; list again from the first page (`cairn workflow run list`)',
      { details: { reason: 'invalid_page_token' } },
    );
  }
  if (token.workflow !== (filter.workflow ?? '') || token.state !== (filter.state ?? '')) {
    throw new CairnError(
      Code.InvalidArgument,
      'the page token belongs to a listing with other filters; ask for the next page with the same --workflow and --status (`cairn workflow run list`)',
      { details: { reason: 'invalid_page_token' } },
    );
  }
  return token.after;
}

export interface RunListing {
  readonly runs: readonly ListedWorkflowRun[];
  /** '' on the last page. */
  readonly nextPageToken: string;
}

export interface RunListQuery {
  /** '' for every workflow. */
  readonly workflow: string;
  readonly state: WorkflowRunState | undefined;
  /** 0 for the default. */
  readonly pageSize: number;
  readonly pageToken: string;
}

export function logExpired(logger: Logger, run: WorkflowRun, how: string): void {
  logger.info('workflow run expired', {
    org: run.orgId,
    run: run.id,
    workflow: run.workflow,
    expiredAt: run.expiresAt.toISOString(),
    found: how,
  });
}

function runNotFound(runId: string): CairnError {
  return new CairnError(
    Code.NotFound,
    `this organisation has no workflow run ${JSON.stringify(runId.slice(0, 40))}; \`cairn workflow run list\` shows its runs`,
    { details: { reason: 'run_not_found' } },
  );
}

function checkReason(reason: string): string | null {
  if (reason === '') return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (reason.length > REASON_LIMIT || /[\u0000-\u001f\u007f]/.test(reason)) {
    throw new CairnError(
      Code.InvalidArgument,
      `the reason must be one line of at most ${REASON_LIMIT} characters, without control characters (\`cairn attestation reset --reason TEXT\`)`,
      { details: { reason: 'invalid_reason' } },
    );
  }
  return reason;
}

/** "24 h", "90 min", "45 s": a lifetime as the expiry refusal states it. */
export function formatLifetime(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** FAILED_PRECONDITION for a call that needs an initialized run, saying what the run is now. */
export function notInitialized(run: WorkflowRun, storedDigest?: string): CairnError {
  if (run.state === 'expired') {
    const lifetime = formatLifetime(run.expiresAt.getTime() - run.createdAt.getTime());
    return new CairnError(
      Code.FailedPrecondition,
      `run ${run.id} expired at ${run.expiresAt.toISOString()}: runs must be pushed within ${lifetime}; start a new one with \`cairn attestation init\``,
      { details: { reason: 'run_expired', state: run.state, expiredAt: run.expiresAt.toISOString() } },
    );
  }
  const at = run.finishedAt?.toISOString() ?? 'an unknown time';
  const now = (() => {
    switch (run.state) {
      case 'succeeded':
        return `was pushed at ${at}${storedDigest ? ` as ${storedDigest}` : ''}`;
      case 'failed':
        return `was reset as failed at ${at}${run.resetReason ? ` (${JSON.stringify(run.resetReason)})` : ''}`;
      case 'cancelled':
        return `was cancelled at ${at}${run.resetReason ? ` (${JSON.stringify(run.resetReason)})` : ''}`;
      case 'initialized':
        return 'is still in progress';
    }
  })();
  return new CairnError(
    Code.FailedPrecondition,
    `run ${run.id} ${now}; start a new one with \`cairn attestation init\``,
    {
      details: {
        reason: 'run_finished',
        state: run.state,
        ...(storedDigest ? { digest: storedDigest } : {}),
      },
    },
  );
}

export function checkName(value: string, what: string, options: { optional?: boolean } = {}): string {
  if (options.optional && value === '') return value;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (value.trim() === '' || value.length > NAME_LIMIT || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new CairnError(
      Code.InvalidArgument,
      `${what} must have 1–${NAME_LIMIT} characters, not all spaces, and no control characters`,
      { details: { reason: 'invalid_name' } },
    );
  }
  return value;
}

/** The runner the CLI sent at init, checked; nulls when it sent none. */
export function checkRunner(runner: RunnerInput | undefined): { type: string | null; url: string | null } {
  if (runner === undefined || (runner.type === '' && runner.url === '')) return { type: null, url: null };
  if (!(RUNNER_TYPES as readonly string[]).includes(runner.type)) {
    throw new CairnError(
      Code.InvalidArgument,
      `the runner type ${JSON.stringify(runner.type.slice(0, 40))} is not one Cairn knows; send one of ${RUNNER_TYPES.join(', ')} (\`cairn attestation init\` detects it)`,
      { details: { reason: 'invalid_runner' } },
    );
  }
  if (runner.url === '') return { type: runner.type, url: null };
  let url: URL | undefined;
  try {
    url = new URL(runner.url);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || runner.url.length > URL_LIMIT) {
    throw new CairnError(
      Code.InvalidArgument,
      `the runner URL must be an http(s) URL of at most ${URL_LIMIT} characters (\`cairn attestation init\` sends the CI run's page)`,
      { details: { reason: 'invalid_runner' } },
    );
  }
  return { type: runner.type, url: runner.url };
}
