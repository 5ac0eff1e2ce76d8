import { parseDigest } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { loadCliConfig } from '../cli-config.js';
import { type Command, helpOption, jsonOption } from '../command.js';
import { parseDuration } from '../durations.js';
import { optionalString } from '../option-values.js';
import { printResult } from '../output.js';
import { devKeySource } from '../tokens/resolve-token-source.js';
import { UsageError } from '../usage-error.js';

const command = 'dev token';
const LONGEST_TTL_SECONDS = 86_400;

export const devToken: Command = {
  path: ['dev', 'token'],
  summary: 'mint a CAS token with the local development key',
  synopsis: 'dev token [--role upload|download] [--digest sha256:<hex>] [--ttl 5m] [options]',
  description:
    'Signs a CAS token with the development key that `npm start` keeps under .cairn/, for the embedded\n' +
    "default's organisation and backend, and prints it. For local use only: pass it to another tool or\n" +
    'with --cas-token. The CLI mints such tokens by itself when neither a token nor a control plane is\n' +
    'configured.',
  options: {
    role: { type: 'string', value: 'ROLE', description: 'upload or download (default: upload)' },
    digest: { type: 'string', value: 'sha256:<hex>', description: 'bind a download token to this one blob' },
    ttl: { type: 'string', value: 'DURATION', description: 'lifetime: 90s, 5m, 1h or seconds (default: 5m)' },
    ...jsonOption,
    ...helpOption,
  },
  async run(context) {
    const role = optionalString(context.options, 'role') ?? 'upload';
    if (role !== 'upload' && role !== 'download') {
      throw new UsageError(`--role must be upload or download, not "${role}"`, command);
    }
    const digest = optionalString(context.options, 'digest');
    if (digest !== undefined) {
      if (role !== 'download')
        throw new UsageError('--digest binds download tokens only; add --role download', command);
      try {
        parseDigest(digest);
      } catch (error) {
        throw new UsageError((error as Error).message, command);
      }
    }
    const ttl = optionalString(context.options, 'ttl');
    const lifetimeSeconds =
      ttl === undefined ? undefined : parseDuration(ttl, '--ttl', command, LONGEST_TTL_SECONDS);
    const source = devKeySource(await loadCliConfig(context.io.cwd, context.io.env));
    if (source === undefined) {
      throw new CairnError(
        Code.FailedPrecondition,
        'no development key here: run `npm start` in this folder first (it writes .cairn/cli.json), or set CAIRN_HOME to its .cairn folder',
      );
    }
    const token = await source.mint(
      {
        role,
        ...(digest === undefined ? {} : { digest }),
        ...(lifetimeSeconds === undefined ? {} : { lifetimeSeconds }),
      },
      context.io.signal,
    );
    printResult(context, token, {
      token,
      role,
      ...(digest === undefined ? {} : { digest }),
      expiresAt: expiryOf(token),
    });
  },
};

function expiryOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
  return typeof exp === 'number' ? new Date(exp * 1000).toISOString() : undefined;
}
