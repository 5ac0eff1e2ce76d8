import { create } from '@bufbuild/protobuf';
import {
  type WorkflowRunServiceListRequest,
  type WorkflowRunServiceListResponse,
  WorkflowRunServiceListResponseSchema,
  WorkflowRunState,
} from '@cairn/api';
import { CairnError, Code } from '@cairn/errors';
import type { WorkflowRuns } from '../biz/index.js';
import type { WorkflowRunState as State } from '../data/index.js';
import { toProtoRun } from './attestation-service.js';
import type { CallContext } from './call-context.js';

/** cairn.controlplane.v1.WorkflowRunService: proto in, domain calls, proto out. */
export class WorkflowRunService {
  constructor(private readonly runs: WorkflowRuns) {}

  async list(
    ctx: CallContext,
    request: WorkflowRunServiceListRequest,
  ): Promise<WorkflowRunServiceListResponse> {
    const listing = await this.runs.list(ctx.principal, {
      workflow: request.workflow,
      state: stateOf(request.state),
      pageSize: request.pageSize,
      pageToken: request.pageToken,
    });
    return create(WorkflowRunServiceListResponseSchema, {
      runs: listing.runs.map((run) => toProtoRun(run, run.backend, run.attestationDigest)),
      nextPageToken: listing.nextPageToken,
    });
  }
}

function stateOf(state: WorkflowRunState): State | undefined {
  switch (state) {
    case WorkflowRunState.UNSPECIFIED:
      return undefined;
    case WorkflowRunState.INITIALIZED:
      return 'initialized';
    case WorkflowRunState.SUCCEEDED:
      return 'succeeded';
    case WorkflowRunState.FAILED:
      return 'failed';
    case WorkflowRunState.CANCELLED:
      return 'cancelled';
    case WorkflowRunState.EXPIRED:
      return 'expired';
    default:
      throw new CairnError(
        Code.InvalidArgument,
        'the state must be INITIALIZED, SUCCEEDED, FAILED, CANCELLED or EXPIRED (`cairn workflow run list --status S`)',
        { details: { reason: 'invalid_state' } },
      );
  }
}
