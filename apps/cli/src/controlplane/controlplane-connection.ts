import { UNREACHABLE } from '@cairn/api';
import { type ControlPlaneClient, createControlPlaneClient } from '@cairn/controlplane-client';
import { CairnError, Code } from '@cairn/errors';
import { loadCliConfig } from '../cli-config.js';
import { type CommandContext, optionalString } from '../context.js';
import { type ControlPlaneSettings, controlPlaneSettings } from './controlplane-settings.js';

/** Backend validation runs inside some calls and is bounded at 30 s on the server; leave room for it. */
const CALL_TIMEOUT_MS = 60_000;

/** A failure the control plane reported, already explained: shown as it is, never re-worded as a CAS refusal. */
export class ControlPlaneError extends CairnError {}

export interface ControlPlaneConnection {
  readonly settings: ControlPlaneSettings;
  /** Runs calls on the client; a failure comes back as a ControlPlaneError that says what to do. */
  run<T>(work: (client: ControlPlaneClient) => Promise<T>): Promise<T>;
  close(): void;
}

export function openControlPlane(settings: ControlPlaneSettings): ControlPlaneConnection {
  const client = createControlPlaneClient({
    address: settings.address,
    apiToken: settings.apiToken,
    callTimeoutMs: CALL_TIMEOUT_MS,
  });
  return {
    settings,
    run: (work) =>
      work(client).catch((error: unknown) => {
        throw explainControlPlaneError(error, settings);
      }),
    close: () => client.close(),
  };
}

/** For the commands that manage the control plane itself: it must be configured. */
export async function connectControlPlane(
  context: CommandContext,
  as: 'organization' | 'admin' = 'organization',
): Promise<ControlPlaneConnection> {
  const { io } = context;
  const settings = controlPlaneSettings({
    flag: optionalString(context, 'controlplaneAddress'),
    env: io.env,
    config: await loadCliConfig(io.cwd, io.env),
    as,
  });
  if (settings === undefined) {
    throw new CairnError(
      Code.FailedPrecondition,
      'no control plane configured: run this where `npm start` runs (it writes .cairn/cli.json), or set CAIRN_CONTROLPLANE_ADDRESS and CAIRN_API_TOKEN',
    );
  }
  return openControlPlane(settings);
}

export function explainControlPlaneError(error: unknown, settings: ControlPlaneSettings): unknown {
  if (!(error instanceof CairnError) || error instanceof ControlPlaneError) return error;
  const options = { cause: error, details: { ...error.details } };
  if (error.code === Code.Unauthenticated) {
    const advice =
      settings.tokenOrigin === 'CAIRN_API_TOKEN'
        ? 'set CAIRN_API_TOKEN to a live token: `cairn token create` run with another live token makes one, and on the server `controlplane bootstrap --org ORG` makes the first of an organisation'
        : 'set CAIRN_API_TOKEN to a live token, or delete .cairn/ and run `npm start` again for a fresh embedded setup';
    return new ControlPlaneError(
      error.code,
      `the control plane at ${settings.address} did not accept the API token from ${settings.tokenOrigin} (${error.message}); ${advice}`,
      options,
    );
  }
  if (error.details.reason === UNREACHABLE) {
    return new ControlPlaneError(
      error.code,
      `${error.message} (the address came from ${settings.addressOrigin})`,
      options,
    );
  }
  return new ControlPlaneError(error.code, error.message, options);
}

/** Connects, runs `work` with the client, and closes: the shape of every command that manages the control plane. */
export async function withControlPlane<T>(
  context: CommandContext,
  work: (client: ControlPlaneClient, signal: AbortSignal | undefined) => Promise<T>,
  as: 'organization' | 'admin' = 'organization',
): Promise<T> {
  return runThenClose(await connectControlPlane(context, as), context, work);
}

/** Runs `work` on an open connection with the command's signal, and closes the connection. */
export async function runThenClose<T>(
  connection: ControlPlaneConnection,
  context: CommandContext,
  work: (client: ControlPlaneClient, signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  try {
    return await connection.run((client) => work(client, context.io.signal));
  } finally {
    connection.close();
  }
}
