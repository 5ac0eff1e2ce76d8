import { readFile } from 'node:fs/promises';
import { delimiter, dirname, resolve } from 'node:path';
import { CairnError, Code } from '@cairn/errors';
import { type CasConfig, createCasConfig } from './cas-config.js';
import { type ConfigObject, objectAt } from './config-input.js';

export interface LoadCasConfigOptions {
  /** The config file named on the command line (`--config`); without it, CAIRN_CAS_CONFIG names one. */
  readonly file?: string | undefined;
  /** Environment to read overrides from; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against when no config file is given. */
  readonly cwd?: string;
  readonly signal?: AbortSignal;
}

/**
 * Environment variables that override single settings, applied after the config file. Paths and URLs in
 * them are taken as given (relative to the working directory).
 */
export const CAS_ENVIRONMENT: Readonly<Record<string, string>> = {
  CAIRN_CAS_CONFIG: 'path of a JSON config file (same as --config)',
  CAIRN_CAS_HOST: 'interface both servers bind (grpc.host and http.host)',
  CAIRN_CAS_GRPC_PORT: 'grpc.port',
  CAIRN_CAS_HTTP_PORT: 'http.port',
  CAIRN_CAS_TOKEN_ISSUER: 'tokens.issuer',
  CAIRN_CAS_TOKEN_AUDIENCE: 'tokens.audience',
  CAIRN_CAS_JWKS_URL: 'tokens.jwksUrl (replaces a keyFile from the file)',
  CAIRN_CAS_KEY_FILE: 'tokens.keyFile (replaces a jwksUrl from the file)',
  CAIRN_CAS_FILESYSTEM_ROOTS: `backends.filesystemRoots, separated by "${delimiter}"`,
  CAIRN_CAS_CREDENTIALS_TTL_MS: 'backends.credentialsTtlMs',
  CAIRN_CAS_RESUME_WINDOW_MS: 'uploads.resumeWindowMs',
  CAIRN_CAS_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  CAIRN_CAS_MAX_MESSAGE_BYTES: 'grpc.maxMessageBytes',
  CAIRN_CAS_LOG_LEVEL: 'log.level',
  CAIRN_CAS_SECRETS:
    'the whole secrets section as JSON, e.g. {"kind":"file","directory":"...","keyFile":"..."}',
};

/** Reads the config file (if any), applies environment overrides, merges defaults and checks the result. */
export async function loadCasConfig(options: LoadCasConfigOptions = {}): Promise<CasConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? nonEmpty(env.CAIRN_CAS_CONFIG);
  const fromFile = file === undefined ? {} : await readConfigFile(resolve(cwd, file), options.signal);
  const baseDir = file === undefined ? cwd : dirname(resolve(cwd, file));
  const merged = applyEnvironment(fromFile, env, cwd);
  return createCasConfig(merged, baseDir);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

async function readConfigFile(path: string, signal: AbortSignal | undefined): Promise<ConfigObject> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', ...(signal ? { signal } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw CairnError.from(
      error,
      Code.FailedPrecondition,
      `cannot read the CAS config file ${path} (${code})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse quotes the offending text, which may be a secret: report the position only.
    const at = /position (\d+)/.exec(String(error))?.[1];
    throw new CairnError(
      Code.InvalidArgument,
      `the CAS config file ${path} is not valid JSON${at ? ` (near character ${at})` : ''}`,
    );
  }
  return objectAt(parsed, path) ?? {};
}

function applyEnvironment(
  fromFile: ConfigObject,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): ConfigObject {
  const get = (name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const grpc = { ...(objectAt(fromFile.grpc, 'grpc') ?? {}) };
  const http = { ...(objectAt(fromFile.http, 'http') ?? {}) };
  const tokens = { ...(objectAt(fromFile.tokens, 'tokens') ?? {}) };
  const backends = { ...(objectAt(fromFile.backends, 'backends') ?? {}) };
  const uploads = { ...(objectAt(fromFile.uploads, 'uploads') ?? {}) };
  const log = { ...(objectAt(fromFile.log, 'log') ?? {}) };
  const out: Record<string, unknown> = { ...fromFile };

  const host = get('CAIRN_CAS_HOST');
  if (host) {
    grpc.host = host;
    http.host = host;
  }
  set(grpc, 'port', get('CAIRN_CAS_GRPC_PORT'));
  set(http, 'port', get('CAIRN_CAS_HTTP_PORT'));
  set(grpc, 'maxMessageBytes', get('CAIRN_CAS_MAX_MESSAGE_BYTES'));
  set(tokens, 'issuer', get('CAIRN_CAS_TOKEN_ISSUER'));
  set(tokens, 'audience', get('CAIRN_CAS_TOKEN_AUDIENCE'));
  const jwksUrl = get('CAIRN_CAS_JWKS_URL');
  const keyFile = get('CAIRN_CAS_KEY_FILE');
  if (jwksUrl || keyFile) {
    // An override names the one key source; the file's other sources no longer apply.
    delete tokens.jwksUrl;
    delete tokens.keyFile;
    delete tokens.jwks;
    set(tokens, 'jwksUrl', jwksUrl);
    set(tokens, 'keyFile', keyFile === undefined ? undefined : resolve(cwd, keyFile));
  }
  const roots = get('CAIRN_CAS_FILESYSTEM_ROOTS');
  if (roots)
    backends.filesystemRoots = roots
      .split(delimiter)
      .filter(Boolean)
      .map((root) => resolve(cwd, root));
  set(backends, 'credentialsTtlMs', get('CAIRN_CAS_CREDENTIALS_TTL_MS'));
  set(uploads, 'resumeWindowMs', get('CAIRN_CAS_RESUME_WINDOW_MS'));
  set(out, 'shutdownGraceMs', get('CAIRN_CAS_SHUTDOWN_GRACE_MS'));
  set(log, 'level', get('CAIRN_CAS_LOG_LEVEL'));
  const secrets = get('CAIRN_CAS_SECRETS');
  if (secrets) {
    try {
      out.secrets = JSON.parse(secrets);
    } catch {
      throw new CairnError(
        Code.InvalidArgument,
        'CAIRN_CAS_SECRETS is not valid JSON; give the secrets section as JSON',
      );
    }
  }
  return { ...out, grpc, http, tokens, backends, uploads, log };
}

function set(target: Record<string, unknown>, key: string, value: string | undefined): void {
  if (value !== undefined) target[key] = value;
}
