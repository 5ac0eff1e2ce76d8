import { type CommandContext, flag, optionalString, requiredString } from '../context.js';
import { withControlPlane } from '../controlplane/controlplane-connection.js';
import { parseDuration } from '../durations.js';
import { printResult } from '../output.js';

const LONGEST_EXPIRY_SECONDS = 3650 * 86_400;

export async function run(context: CommandContext): Promise<void> {
  const name = requiredString(context, 'name', '--name');
  const kind = flag(context, 'robot') ? 'robot' : 'user';
  const expires = optionalString(context, 'expires');
  const organization = optionalString(context, 'org');
  const lifetimeSeconds =
    expires === undefined
      ? undefined
      : parseDuration(expires, '--expires', context.command, LONGEST_EXPIRY_SECONDS);
  const expiresAt = lifetimeSeconds === undefined ? undefined : new Date(Date.now() + lifetimeSeconds * 1000);
  const created = await withControlPlane(
    context,
    (client, signal) =>
      client.createApiToken(
        {
          name,
          kind,
          ...(expiresAt === undefined ? {} : { expiresAt }),
          ...(organization === undefined ? {} : { organization }),
        },
        signal,
      ),
    organization === undefined ? 'organization' : 'admin',
  );
  printResult(context, {
    table: created.secret,
    json: {
      id: created.token?.id ?? '',
      name,
      kind,
      secret: created.secret,
      ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
    },
  });
}
