import { type Material, MaterialKind as WireKind, type WorkflowRun, WorkflowRunState } from '@cairn/api';
import { isMaterialKind, type MaterialKind, type MaterialLocation } from '@cairn/attestation/evidence';
import type { ControlPlaneClient, MaterialSource, RunStateName } from '@cairn/controlplane-client';
import { CairnError, Code } from '@cairn/errors';
import { isoTime } from '../times.js';
import type { MaterialView, RunView } from './run-view.js';

export type AddMaterialSource = MaterialSource;

export interface AddMaterialInput {
  readonly name: string;
  readonly kind: MaterialKind;
  readonly annotations: Readonly<Record<string, string>>;
  readonly fileName?: string;
  readonly source: AddMaterialSource;
}

/** The control plane's workflow runs, in the CLI's terms (the one place that knows the wire messages). */
export interface Runs {
  init(input: {
    workflow: string;
    project?: string;
    runner: { type: string; url?: string };
  }): Promise<RunView>;
  get(runId: string): Promise<{ run: RunView; materials: MaterialView[] }>;
  uploadCredentials(runId: string): Promise<{ token: string; casAddress: string }>;
  addMaterial(runId: string, input: AddMaterialInput): Promise<MaterialView>;
  reset(runId: string, trigger: 'failure' | 'cancellation', reason: string | undefined): Promise<RunView>;
  store(runId: string, bundle: Uint8Array): Promise<{ digest: string }>;
  bundle(ref: { digest: string } | { runId: string }): Promise<{ bytes: Uint8Array; digest: string }>;
  list(filter: { workflow?: string; state?: RunStateName; limit: number }): Promise<RunView[]>;
}

export function runs(client: ControlPlaneClient, signal: AbortSignal | undefined): Runs {
  return {
    init: async (input) => runView(await client.initRun(input, signal)),
    async get(runId) {
      const answer = await client.getRun(runId, signal);
      return { run: runView(answer.run), materials: answer.materials.map(materialView) };
    },
    async uploadCredentials(runId) {
      const answer = await client.uploadCredentials(runId, signal);
      return { token: answer.token, casAddress: answer.casGrpcAddress };
    },
    addMaterial: async (runId, input) =>
      materialView(
        await client.addMaterial(
          runId,
          {
            name: input.name,
            kind: input.kind,
            source: input.source,
            annotations: input.annotations,
            ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
          },
          signal,
        ),
      ),
    reset: async (runId, trigger, reason) =>
      runView(await client.resetRun(runId, { trigger, ...(reason === undefined ? {} : { reason }) }, signal)),
    async store(runId, bundle) {
      const answer = await client.storeAttestation(runId, bundle, signal);
      return { digest: answer.attestation?.digest ?? '' };
    },
    async bundle(ref) {
      const answer = await client.getAttestation(ref, signal);
      return { bytes: answer.bundle, digest: answer.attestation?.digest ?? '' };
    },
    async list(filter) {
      const listed: RunView[] = [];
      let pageToken = '';
      // Pages of at most 500, until the limit is reached or the runs run out.
      do {
        const page = await client.listRuns(
          {
            ...(filter.workflow === undefined ? {} : { workflow: filter.workflow }),
            ...(filter.state === undefined ? {} : { state: filter.state }),
            pageSize: Math.min(500, filter.limit - listed.length),
            ...(pageToken === '' ? {} : { pageToken }),
          },
          signal,
        );
        listed.push(...page.runs.map(runView));
        pageToken = page.nextPageToken;
      } while (pageToken !== '' && listed.length < filter.limit);
      return listed;
    },
  };
}

const STATES: Record<WorkflowRunState, RunView['state']> = {
  [WorkflowRunState.UNSPECIFIED]: 'unknown',
  [WorkflowRunState.INITIALIZED]: 'initialized',
  [WorkflowRunState.SUCCEEDED]: 'succeeded',
  [WorkflowRunState.FAILED]: 'failed',
  [WorkflowRunState.CANCELLED]: 'cancelled',
  [WorkflowRunState.EXPIRED]: 'expired',
};

function runView(run: WorkflowRun | undefined): RunView {
  if (run === undefined) throw new CairnError(Code.Internal, 'the control plane sent no run');
  const finishedAt = isoTime(run.finishedAt);
  return {
    id: run.id,
    workflow: run.workflow,
    ...(run.project === '' ? {} : { project: run.project }),
    state: STATES[run.state],
    backend: {
      id: run.backend?.id ?? '',
      name: run.backend?.name ?? '',
      provider: run.backend?.provider ?? '',
      maxBytes: Number(run.backend?.maxBytes ?? 0n),
    },
    fallback: run.backend?.isFallback ?? false,
    ...(run.runner === undefined || run.runner.type === ''
      ? {}
      : { runner: { type: run.runner.type, ...(run.runner.url === '' ? {} : { url: run.runner.url }) } }),
    createdAt: isoTime(run.createdAt) ?? '',
    ...(finishedAt === undefined ? {} : { finishedAt }),
    ...(run.resetReason === '' ? {} : { resetReason: run.resetReason }),
    ...(run.attestationDigest === '' ? {} : { attestation: run.attestationDigest }),
  };
}

function materialView(material: Material | undefined): MaterialView {
  if (material === undefined) throw new CairnError(Code.Internal, 'the control plane sent no material');
  const kind = WireKind[material.kind];
  if (!isMaterialKind(kind)) {
    throw new CairnError(
      Code.Internal,
      `the control plane sent material "${material.name}" of unknown kind ${kind}`,
    );
  }
  return {
    name: material.name,
    kind,
    digest: material.digest,
    size: Number(material.size),
    ...(material.fileName === '' ? {} : { fileName: material.fileName }),
    annotations: { ...material.annotations },
    location: locationOf(material, kind),
  };
}

/** The statement's form of where a material is: inline text for a STRING, base64 for other inline bytes. */
function locationOf(material: Material, kind: MaterialKind): MaterialLocation {
  const { location } = material;
  switch (location.case) {
    case 'backend':
      return {
        backend: { id: location.value.id, name: location.value.name, provider: location.value.provider },
      };
    case 'inlineContent': {
      const bytes = Buffer.from(location.value);
      return { inline: kind === 'STRING' ? bytes.toString('utf8') : bytes.toString('base64') };
    }
    case 'imageReference':
      return { image: { reference: location.value } };
    default:
      throw new CairnError(
        Code.Internal,
        `the control plane sent material "${material.name}" without a location`,
      );
  }
}
