import { parseDigest } from '@cairn/cas-client';
import { CairnError, Code } from '@cairn/errors';
import { loadCliConfig } from '../cli-config.js';
import { type CommandContext, optionalString } from '../context.js';
import { parseDuration } from '../durations.js';
import { printResult } from '../output.js';
import { devKeySource } from '../tokens/resolve-token-source.js';
import { UsageError } from '../usage-error.js';

const LONGEST_TTL_SECONDS = 86_400;

export async function run(context: CommandContext): Promise<void> {
  const role = optionalString(context, 'role') === 'download' ? 'download' : 'upload';
  const digest = optionalString(context, 'digest');
  if (digest !== undefined) {
    if (role !== 'download')
      throw new UsageError('--digest binds download tokens only; add --role download', context.command);
    try {
      parseDigest(digest);
    } catch (error) {
      throw new UsageError((error as Error).message, context.command);
    }
  }
  const lifetimeSeconds = parseDuration(
    optionalString(context, 'ttl') ?? '5m',
    '--ttl',
    context.command,
    LONGEST_TTL_SECONDS,
  );
  const source = devKeySource(await loadCliConfig(context.io.cwd, context.io.env));
  if (source === undefined) {
    throw new CairnError(
      Code.FailedPrecondition,
      'no development key here: run `npm start` in this folder first (it writes .cairn/cli.json), or set CAIRN_HOME to its .cairn folder',
    );
  }
  const token = await source.mint(
    { role, ...(digest === undefined ? {} : { digest }), lifetimeSeconds },
    context.io.signal,
  );
  printResult(context, {
    table: token,
    json: { token, role, ...(digest === undefined ? {} : { digest }), expiresAt: expiryOf(token) },
  });
}

function expiryOf(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
  return typeof exp === 'number' ? new Date(exp * 1000).toISOString() : undefined;
}
