import { CairnError, Code } from '@cairn/errors';
import { type CommandContext, optionalString } from '../context.js';
import { readInputFile } from '../input-file.js';
import { readSecret } from '../secret-input.js';
import { UsageError } from '../usage-error.js';
import { type CredentialFlag, type Provider, providerFlags } from './provider-flags.js';

/**
 * The credentials a command's flags give for `provider`: `--credentials-file` first, then each flag
 * (for `add`, a flag left out falls back to its environment variable). Only what was given is returned,
 * so `update` sends just the fields that rotate.
 */
export async function credentialsFromFlags(
  context: CommandContext,
  provider: Provider,
  mode: 'add' | 'update',
): Promise<Record<string, string>> {
  const file = optionalString(context, 'credentialsFile');
  const credentials: Record<string, string> =
    file === undefined ? {} : await readCredentialsFile(context, file);
  for (const flag of providerFlags[provider].credentials) {
    const value = await flagValue(context, flag, mode);
    if (value !== undefined) credentials[flag.field] = value;
  }
  if (mode === 'update') refuseForeignFlags(context, provider);
  else requireComplete(context, provider, credentials);
  return credentials;
}

async function flagValue(
  context: CommandContext,
  flag: CredentialFlag,
  mode: 'add' | 'update',
): Promise<string | undefined> {
  const key = camel(flag.flag);
  if (flag.kind === 'switch') return context.options[key] === true ? 'true' : undefined;
  if (flag.kind === 'secret') {
    // On `update` only an explicit flag rotates a secret: a variable left in the environment must not.
    return readSecret(context, mode === 'add' ? { flag: flag.flag, env: flag.env } : { flag: flag.flag });
  }
  const given = optionalString(context, key);
  if (given !== undefined || mode === 'update' || flag.env === undefined) return given;
  const fromEnv = context.io.env[flag.env];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** `update` takes every provider's flags; those of another provider than the backend's are a mistake. */
function refuseForeignFlags(context: CommandContext, provider: Provider): void {
  const own = new Set(providerFlags[provider].credentials.map((flag) => camel(flag.flag)));
  for (const [other, spec] of Object.entries(providerFlags)) {
    if (other === provider) continue;
    for (const flag of spec.credentials) {
      const key = camel(flag.flag);
      if (own.has(key)) continue;
      const given = [key, `${key}File`, `${key}Stdin`].some((name) => context.options[name] !== undefined);
      if (given) {
        throw new UsageError(
          `--${flag.flag} belongs to ${other} backends, and this one is ${provider}; see \`cairn cas-backend add ${provider} --help\``,
          context.command,
        );
      }
    }
  }
}

/** What each provider cannot work without, named by flag (the server would name the JSON field). */
function requireComplete(
  context: CommandContext,
  provider: Provider,
  credentials: Record<string, string>,
): void {
  const missing = (fields: string[]) =>
    fields.filter((field) => credentials[field] === undefined).map((field) => flagOf(provider, field));
  let absent: string[] = [];
  if (provider === 'oci') {
    // Both or neither: no user name means anonymous access.
    if (credentials.username !== undefined || credentials.password !== undefined)
      absent = missing(['username', 'password']);
  } else if (provider === 'aws-s3') {
    absent = missing(['region', 'accessKeyId', 'secretAccessKey']);
  } else if (provider === 'azure-blob') {
    absent = missing(['accountName']);
    if (credentials.accountKey === undefined)
      absent.push(...missing(['tenantId', 'clientId', 'clientSecret']));
  }
  if (absent.length > 0) {
    throw new UsageError(`${provider} backends need ${absent.join(', ')}`, context.command);
  }
}

function flagOf(provider: Provider, field: string): string {
  const flag = providerFlags[provider].credentials.find((candidate) => candidate.field === field);
  if (flag === undefined) return field;
  const env = flag.kind === 'switch' || flag.env === undefined ? '' : ` (or $${flag.env})`;
  return flag.kind === 'secret'
    ? `--${flag.flag}-file or --${flag.flag}-stdin${env}`
    : `--${flag.flag}${env}`;
}

/**
 * A JSON object of string fields, e.g. `{"username": "…", "password": "…"}`: a file keeps secrets out of
 * the shell history and the process list. Errors never quote its contents.
 */
export async function readCredentialsFile(
  context: CommandContext,
  file: string,
): Promise<Record<string, string>> {
  const text = (await readInputFile(context, file, '--credentials-file')).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.values(parsed).some((value) => typeof value !== 'string' && typeof value !== 'boolean')
  ) {
    throw new CairnError(
      Code.InvalidArgument,
      `${file} must hold one JSON object of string fields, e.g. {"username": "...", "password": "..."}`,
    );
  }
  return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, String(value)]));
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
