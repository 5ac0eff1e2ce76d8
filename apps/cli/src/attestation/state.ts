import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { writeFileAtomically } from '../atomic-file.js';
import { type CommandContext, optionalString } from '../context.js';

/** Where an attestation's steps keep what they share when it is not kept in the control plane alone. */
export const DEFAULT_STATE_FILE = '.cairn-attestation.json';

/** The local state of a run between `cairn attestation` steps: which run, on which control plane. */
export interface LocalState {
  readonly version: 1;
  readonly runId: string;
  /** The control plane the run lives on, so a later step is never sent to another one. */
  readonly controlPlane: string;
}

/** The run a step acts on, and where that came from (for messages). */
export interface RunReference {
  readonly runId: string;
  /** `--attestation-id`, `CAIRN_ATTESTATION_ID`, or the state file's path. */
  readonly origin: string;
  /** The state file, when the run came from one (push and reset remove it). */
  readonly stateFile?: string;
  /** The control plane the state file says the run lives on. */
  readonly controlPlane?: string;
}

export function stateFile(context: CommandContext): string {
  const given = optionalString(context, 'state') ?? context.io.env.CAIRN_ATTESTATION_STATE;
  return resolve(context.io.cwd, given === undefined || given === '' ? DEFAULT_STATE_FILE : given);
}

/**
 * The run of this step: `--attestation-id` (or CAIRN_ATTESTATION_ID), whose state the control plane
 * keeps (`init --remote-state`), else the local state file `init` wrote.
 */
export async function runReference(context: CommandContext): Promise<RunReference> {
  const flag = optionalString(context, 'attestationId');
  if (flag !== undefined) return { runId: flag, origin: '--attestation-id' };
  const env = context.io.env.CAIRN_ATTESTATION_ID;
  if (env !== undefined && env !== '') return { runId: env, origin: 'CAIRN_ATTESTATION_ID' };
  const path = stateFile(context);
  const state = await readState(path);
  if (state === undefined) {
    throw new CairnError(
      Code.FailedPrecondition,
      `no attestation in progress here (${path} does not exist): start one with \`cairn attestation init --workflow NAME\`, or name a run with --attestation-id`,
      { details: { reason: 'no_attestation' } },
    );
  }
  return { runId: state.runId, origin: path, stateFile: path, controlPlane: state.controlPlane };
}

export async function readState(path: string): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new CairnError(
      Code.FailedPrecondition,
      `cannot read ${path} (${String((error as { code?: unknown }).code)})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const state = parsed as Partial<LocalState> | undefined;
  if (state?.version !== 1 || typeof state.runId !== 'string' || typeof state.controlPlane !== 'string') {
    throw new CairnError(
      Code.FailedPrecondition,
      `${path} is not the state of a \`cairn attestation\` run; remove it and start again with \`cairn attestation init\``,
    );
  }
  return { version: 1, runId: state.runId, controlPlane: state.controlPlane };
}

/** Written atomically, so a step that dies halfway never leaves half a state. */
export async function writeState(path: string, state: LocalState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomically(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export async function removeState(reference: RunReference): Promise<void> {
  if (reference.stateFile !== undefined) await rm(reference.stateFile, { force: true });
}
