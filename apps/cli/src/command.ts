import type { CliIo } from './io.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Placeholder shown in help, e.g. `FILE`. */
  readonly value?: string;
  readonly description: string;
}

export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

export interface CommandContext {
  readonly io: CliIo;
  readonly options: OptionValues;
  /** `--json`: print one JSON object on stdout instead of text. */
  readonly json: boolean;
}

export interface Command {
  /** The words that select it, e.g. `['artifact', 'upload']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Synopsis after `cairn `, e.g. `artifact upload -f FILE [--name NAME]`. */
  readonly synopsis: string;
  /** A few sentences shown in the command's help. */
  readonly description: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  run(context: CommandContext): Promise<void>;
}

export const helpOption: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print the result as one JSON object (for scripts)' },
};

export const casOptions: Record<string, OptionSpec> = {
  'cas-address': {
    type: 'string',
    value: 'HOST:PORT',
    description: 'gRPC address of the CAS (default: $CAIRN_CAS_ADDRESS, .cairn/cli.json, 127.0.0.1:9001)',
  },
  'cas-token': {
    type: 'string',
    value: 'TOKEN',
    description:
      'CAS token to use (default: $CAIRN_CAS_TOKEN, else one from the control plane, else one minted with the dev key in .cairn/cli.json)',
  },
};

export const controlPlaneOptions: Record<string, OptionSpec> = {
  'controlplane-address': {
    type: 'string',
    value: 'HOST:PORT',
    description:
      'gRPC address of the control plane (default: $CAIRN_CONTROLPLANE_ADDRESS, .cairn/cli.json); the API token comes from $CAIRN_API_TOKEN',
  },
};
