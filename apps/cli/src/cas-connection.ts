import { type CasClient, createCasClient, type RetryPolicy, type UploadResult } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { type LoadedCliConfig, loadCliConfig } from './cli-config.js';
import { type CommandContext, optionalString } from './context.js';
import { ControlPlaneError } from './controlplane/controlplane-connection.js';
import { printNote } from './output.js';
import { progressReporter } from './progress-bar.js';
import { resolveTokenSource } from './tokens/resolve-token-source.js';
import type { CasTokenSource, RecordedUpload, TokenBackend, TokenRequest } from './tokens/token-source.js';

export const DEFAULT_CAS_ADDRESS = '127.0.0.1:9001';

/**
 * How long the CLI rides out a CAS, storage server or secret store that is away: 12 attempts, the pauses
 * doubling from 0.1–0.2 s up to 2.5–5 s, about 18–36 s of waiting in all, so a server restarting (or a
 * Vault being unsealed) does not fail a CI job that a minute later would have passed. A CAS that never
 * answered (most likely a wrong address) gets the cas-client's default 5 attempts, 1.5–3 s.
 */
export const CLI_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 12,
  maxAttemptsUnreached: 5,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
};

export interface CasConnection {
  readonly client: CasClient;
  /**
   * Uploads a file (skipped when the CAS holds it already), drawing a progress bar on a terminal and
   * noting each retry on stderr.
   */
  uploadFile(path: string, options: { fileName: string; mediaType?: string }): Promise<UploadResult>;
  readonly address: string;
  readonly tokenSource: CasTokenSource;
  /** The backend the token goes to, when the control plane issued it; undefined otherwise. */
  backend(): Promise<TokenBackend | undefined>;
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
  const tokens = await casTokens(context);
  try {
    const cas = await openCas(context, tokens, request);
    return {
      ...cas,
      close() {
        cas.close();
        tokens.tokenSource.close?.();
      },
    };
  } catch (error) {
    tokens.tokenSource.close?.();
    throw error;
  }
}

/** Where this command's CAS tokens come from, read once for any number of CAS clients (see openCas). */
export interface CasTokens {
  readonly tokenSource: CasTokenSource;
  /** Undefined where no cli.json applies. */
  readonly config: LoadedCliConfig | undefined;
}

/** The token source the flags, environment and .cairn/cli.json name (see resolveTokenSource). */
export async function casTokens(context: CommandContext): Promise<CasTokens> {
  const { io } = context;
  const config = await loadCliConfig(io.cwd, io.env);
  const tokenSource = resolveTokenSource({
    flag: optionalString(context, 'casToken'),
    controlPlaneFlag: optionalString(context, 'controlplaneAddress'),
    env: io.env,
    config,
  });
  return { tokenSource, config };
}

/**
 * A CAS client for `request` with tokens from `tokens` (see connectCas for where the address comes from).
 * Its `close` leaves the token source open, for the next client; whoever made `tokens` closes it.
 */
export async function openCas(
  context: CommandContext,
  { tokenSource, config }: CasTokens,
  request: TokenRequest,
): Promise<CasConnection> {
  const { io } = context;
  // Asked first even when the address is given: a control plane that refuses fails before any transfer.
  const suggested = await tokenSource.casAddress?.(request, io.signal);
  const address = casAddress(optionalString(context, 'casAddress'), io.env, suggested, config);
  const client = createCasClient({
    address,
    token: () => tokenSource.token(request, io.signal),
    retry: CLI_RETRY_POLICY,
  });
  return {
    client,
    uploadFile: (path, options) => uploadWithProgress(context, client, path, options),
    address,
    tokenSource,
    backend: async () => tokenSource.backend?.(request, io.signal),
    explain: (error) => explainError(error, tokenSource),
    recordUpload: async (digest) => tokenSource.recordUpload?.(digest, io.signal),
    close: () => client.close(),
  };
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
      {
        cause: error,
        details: { ...error.details },
      },
    );
  }
  return error;
}

async function uploadWithProgress(
  context: CommandContext,
  client: CasClient,
  path: string,
  options: { fileName: string; mediaType?: string },
): Promise<UploadResult> {
  const progress = progressReporter(context.io.stderr, context.io.stderrIsTty);
  try {
    return await client.upload(path, {
      ...options,
      ...(context.io.signal === undefined ? {} : { signal: context.io.signal }),
      onProgress: (update) => progress.update(update),
      onRetry: (retry) => {
        progress.finish();
        printNote(
          context,
          `${retry.error.message}; retrying from byte ${retry.offset} (attempt ${retry.attempt})`,
        );
      },
    });
  } finally {
    progress.finish();
  }
}
