import { type CasClient, createCasClient } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { type LoadedCliConfig, loadCliConfig } from './cli-config.js';
import type { CommandContext } from './command.js';
import { resolveTokenSource } from './tokens/resolve-token-source.js';
import type { CasTokenSource, TokenRequest } from './tokens/token-source.js';

export const DEFAULT_CAS_ADDRESS = '127.0.0.1:9001';

export interface CasConnection {
  readonly client: CasClient;
  readonly address: string;
  readonly tokenSource: CasTokenSource;
  /** Adds where the token and the address came from to errors about them, so the fix is obvious. */
  explain(error: unknown): unknown;
}

/** A CAS client set up from flags, environment and .cairn/cli.json, in that order of precedence. */
export async function connectCas(context: CommandContext, request: TokenRequest): Promise<CasConnection> {
  const { io, options } = context;
  const config = await loadCliConfig(io.cwd, io.env);
  const address = casAddress(stringOption(options['cas-address']), io.env, config);
  const tokenSource = resolveTokenSource({ flag: stringOption(options['cas-token']), env: io.env, config });
  const client = createCasClient({
    address,
    token: () => tokenSource.token(request, io.signal),
  });
  return {
    client,
    address,
    tokenSource,
    explain: (error) => explainError(error, tokenSource),
  };
}

export function casAddress(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  config: LoadedCliConfig | undefined,
): string {
  return flag || env.CAIRN_CAS_ADDRESS || config?.config.cas?.grpc || DEFAULT_CAS_ADDRESS;
}

function explainError(error: unknown, tokenSource: CasTokenSource): unknown {
  if (!(error instanceof CairnError)) return error;
  if (error.code === Code.Unauthenticated || error.code === Code.PermissionDenied) {
    return new CairnError(
      error.code,
      `${error.message} (the token came from ${tokenSource.origin}; give a valid one with --cas-token or CAIRN_CAS_TOKEN, or mint one with \`cairn dev token\`)`,
      { cause: error, details: { ...error.details } },
    );
  }
  return error;
}

function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
