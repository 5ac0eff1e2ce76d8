import { type CasClient, createCasClient } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { type LoadedCliConfig, loadCliConfig } from './cli-config.js';
import type { CommandContext } from './command.js';
import { ControlPlaneError } from './controlplane/controlplane-connection.js';
import { optionalString } from './option-values.js';
import { resolveTokenSource } from './tokens/resolve-token-source.js';
import type { CasTokenSource, RecordedUpload, TokenRequest } from './tokens/token-source.js';

export const DEFAULT_CAS_ADDRESS = '127.0.0.1:9001';

export interface CasConnection {
  readonly client: CasClient;
  readonly address: string;
  readonly tokenSource: CasTokenSource;
  /** Adds where the token and the address came from to errors about them, so the fix is obvious. */
  explain(error: unknown): unknown;
  /** Maps an uploaded blob to its backend when the token came from the control plane; else undefined. */
  recordUpload(digest: string): Promise<RecordedUpload | undefined>;
  close(): void;
}

/**
 * A CAS client set up from flags, environment and .cairn/cli.json. The token source is chosen first
 * (see resolveTokenSource); the CAS address is `--cas-address`, `$CAIRN_CAS_ADDRESS`, the CAS the
 * control plane names, `cas.grpc` in cli.json, then 127.0.0.1:9001.
 */
export async function connectCas(context: CommandContext, request: TokenRequest): Promise<CasConnection> {
  const { io, options } = context;
  const config = await loadCliConfig(io.cwd, io.env);
  const tokenSource = resolveTokenSource({
    flag: optionalString(options, 'cas-token'),
    controlPlaneFlag: optionalString(options, 'controlplane-address'),
    env: io.env,
    config,
  });
  try {
    // Asked first even when the address is given: a control plane that refuses fails before any transfer.
    const suggested = await tokenSource.casAddress?.(request, io.signal);
    const address = casAddress(optionalString(options, 'cas-address'), io.env, suggested, config);
    const client = createCasClient({ address, token: () => tokenSource.token(request, io.signal) });
    return {
      client,
      address,
      tokenSource,
      explain: (error) => explainError(error, tokenSource),
      recordUpload: async (digest) => tokenSource.recordUpload?.(digest, io.signal),
      close() {
        client.close();
        tokenSource.close?.();
      },
    };
  } catch (error) {
    tokenSource.close?.();
    throw error;
  }
}

export function casAddress(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  fromTokenSource: string | undefined,
  config: LoadedCliConfig | undefined,
): string {
  return flag || env.CAIRN_CAS_ADDRESS || fromTokenSource || config?.config.cas?.grpc || DEFAULT_CAS_ADDRESS;
}

function explainError(error: unknown, tokenSource: CasTokenSource): unknown {
  if (!(error instanceof CairnError) || error instanceof ControlPlaneError) return error;
  if (error.code === Code.Unauthenticated || error.code === Code.PermissionDenied) {
    return new CairnError(
      error.code,
      `${error.message} (the token came from ${tokenSource.origin}; ${tokenSource.advice})`,
      { cause: error, details: { ...error.details } },
    );
  }
  return error;
}
