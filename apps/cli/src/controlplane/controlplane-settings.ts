import { join } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { CLI_CONFIG_FILE, type LoadedCliConfig } from '../cli-config.js';

export const DEFAULT_CONTROLPLANE_ADDRESS = '127.0.0.1:9000';

/** Which control plane to ask, with what API token, and where each came from (for error messages). */
export interface ControlPlaneSettings {
  readonly address: string;
  readonly addressOrigin: string;
  readonly apiToken: string;
  readonly tokenOrigin: string;
}

export interface ControlPlaneInputs {
  /** `--controlplane-address`. */
  readonly flag: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: LoadedCliConfig | undefined;
  /**
   * `admin` for the commands that manage organisations: they take cli.json's `adminToken` (which
   * `npm start` writes) before its `apiToken`. CAIRN_API_TOKEN, when set, is used for both.
   */
  readonly as?: 'organization' | 'admin';
}

/**
 * The control plane the CLI talks to, or undefined when none is configured. Address: the flag, then
 * `$CAIRN_CONTROLPLANE_ADDRESS`, then `controlplane.grpc` in cli.json, then 127.0.0.1:9000. API token:
 * `$CAIRN_API_TOKEN`, then `controlplane.apiToken` in cli.json — the latter only for the control plane
 * cli.json names, so a token written for one control plane is never sent to another.
 */
export function controlPlaneSettings(inputs: ControlPlaneInputs): ControlPlaneSettings | undefined {
  const { flag, env, config } = inputs;
  const section = config?.config.controlplane;
  const file = config === undefined ? CLI_CONFIG_FILE : join(config.home, CLI_CONFIG_FILE);
  const explicit = nonEmpty(flag)
    ? { address: flag, addressOrigin: '--controlplane-address' }
    : nonEmpty(env.CAIRN_CONTROLPLANE_ADDRESS)
      ? { address: env.CAIRN_CONTROLPLANE_ADDRESS, addressOrigin: 'CAIRN_CONTROLPLANE_ADDRESS' }
      : undefined;
  const configured = nonEmpty(section?.grpc) ? { address: section.grpc, addressOrigin: file } : undefined;
  const fallback = { address: DEFAULT_CONTROLPLANE_ADDRESS, addressOrigin: 'the default address' };

  if (nonEmpty(env.CAIRN_API_TOKEN)) {
    return {
      ...(explicit ?? configured ?? fallback),
      apiToken: env.CAIRN_API_TOKEN,
      tokenOrigin: 'CAIRN_API_TOKEN',
    };
  }
  const fileToken =
    (inputs.as === 'admin' && nonEmpty(section?.adminToken) ? section.adminToken : undefined) ??
    section?.apiToken;
  if (explicit !== undefined) {
    if (nonEmpty(fileToken) && explicit.address === configured?.address) {
      return { ...explicit, apiToken: fileToken, tokenOrigin: file };
    }
    throw new CairnError(
      Code.Unauthenticated,
      `${explicit.addressOrigin} names the control plane at ${explicit.address} but no API token for it is set; set CAIRN_API_TOKEN (\`cairn token create\` makes one, and \`controlplane bootstrap\` the first of an organisation)`,
    );
  }
  if (nonEmpty(fileToken)) return { ...(configured ?? fallback), apiToken: fileToken, tokenOrigin: file };
  return undefined;
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
