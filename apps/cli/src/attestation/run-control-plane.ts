import type { ControlPlaneClient } from '@cairn/controlplane-client';
import { CairnError, Code } from '@cairn/errors';
import type { CommandContext } from '../context.js';
import {
  type ControlPlaneConnection,
  connectControlPlane,
  runThenClose,
} from '../controlplane/controlplane-connection.js';
import type { RunReference } from './state.js';

/**
 * Connects to the control plane a run lives on. A run started from a state file is known to one control
 * plane only: a step the settings send elsewhere (another CAIRN_CONTROLPLANE_ADDRESS in a later CI step)
 * is refused before it connects, rather than answered "no such run" by a control plane that never had it.
 */
export async function connectRunControlPlane(
  context: CommandContext,
  reference: RunReference,
): Promise<ControlPlaneConnection> {
  const connection = await connectControlPlane(context);
  const { address, addressOrigin } = connection.settings;
  if (reference.controlPlane !== undefined && reference.controlPlane !== address) {
    connection.close();
    throw new CairnError(
      Code.FailedPrecondition,
      `run ${reference.runId} in ${reference.origin} was started on the control plane at ${reference.controlPlane}, not at ${address} (from ${addressOrigin}); run this step with --controlplane-address ${reference.controlPlane}, or remove ${reference.origin} and start again with \`cairn attestation init\``,
      { details: { reason: 'other_control_plane' } },
    );
  }
  return connection;
}

/** Connects to the run's control plane, runs `work` with the client, and closes. */
export async function withRunControlPlane<T>(
  context: CommandContext,
  reference: RunReference,
  work: (client: ControlPlaneClient, signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  return runThenClose(await connectRunControlPlane(context, reference), context, work);
}
